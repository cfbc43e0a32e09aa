package io.spikestream.engine.spiking;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Linear;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.QuantizedKvWindow;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.SpikeWeights;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.Runs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The W8ASpike fixture (an independent float64 implementation of REFERENCE.md's W8ASpike section): its
 * spike statistics exactly, its codes exactly, and every guarantee of the float models (threads, decode,
 * int8 windows through the state codec).
 */
class W8ASpikeModelTest {
    private static final Path FIXTURE = TestData.tinyW8ASpike();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> expectedJson() throws IOException {
        return Json.parseObject(Files.readString(FIXTURE.resolve("expected.json")));
    }

    @Test
    void spikeStatisticsEqualTheReferenceExactly() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> spikes = (Map<String, Object>) expectedJson().get("spikes");
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(2))) {
            SpikeSummary s = engine.advanceWithLogits(engine.newDocument(), tokens).spikes().summary();
            assertThat(s.activations()).isEqualTo(((Number) spikes.get("activations")).longValue());
            assertThat(s.zeroFraction()).isEqualTo(((Number) spikes.get("zero_fraction")).doubleValue());
            assertThat(s.meanAbs()).isEqualTo(((Number) spikes.get("mean_abs")).doubleValue());
            assertThat(s.meanBitwise()).isEqualTo(((Number) spikes.get("mean_bitwise")).doubleValue());
            assertThat(s.maxAbs()).isEqualTo(((Number) spikes.get("max_abs")).longValue());
            assertThat(s.tokens()).isEqualTo(tokens.length);

            // The same counts when the document arrives token by token and the statistics are merged.
            DocumentState doc = engine.newDocument();
            SpikeStatistics merged = engine.model().newSpikeStatistics();
            for (int t = 0; t < tokens.length; t++) {
                merged.merge(engine.advanceWithLogits(doc, new int[] {tokens[t]}).spikes());
            }
            SpikeSummary m = merged.summary();
            assertThat(m.activations()).isEqualTo(s.activations());
            assertThat(m.zeroFraction()).isEqualTo(s.zeroFraction());
            assertThat(m.meanBitwise()).isEqualTo(s.meanBitwise());
            assertThat(m.maxAbs()).isEqualTo(s.maxAbs());
            assertThat(m.silentChannelFraction()).isEqualTo(s.silentChannelFraction());
        }
    }

    @Test
    void energyEstimateFollowsTheReportsModel() {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            Model model = engine.model();
            SpikeStatistics stats = engine.advanceWithLogits(engine.newDocument(), tokens).spikes();
            long dense = 512L * 128;
            long floatMacs = 512L * 128;
            for (LayerWeights lw : model.weights().layers()) {
                AttentionWeights a = lw.attention();
                dense += macs(a.q()) + macs(a.k()) + macs(a.v()) + macs(a.o()) + macs(lw.gateProj()) + macs(lw.upProj())
                        + 128L * 256;
                floatMacs += 128L * 256;
                if (a.hasGate()) {
                    dense += 64L * 128;
                }
            }
            assertThat(model.energyModel().denseMacsPerToken()).isEqualTo(dense);
            assertThat(model.energyModel().floatMacsPerToken()).isEqualTo(floatMacs);
            SpikeSummary s = stats.summary();
            assertThat(s.densePicojoulesPerToken()).isEqualTo(dense * 1.5);
            assertThat(s.spikingPicojoulesPerToken()).isGreaterThan(floatMacs * 1.5).isLessThan(s.densePicojoulesPerToken());
            // The sites: three per layer and the query of each sliding-window layer, fed rows as in the model.
            assertThat(stats.sites()).hasSize(4 * 3 + 2);
            assertThat(stats.sites().get(0)).isEqualTo(new SpikeSite(0, SpikeSite.Kind.ATTENTION_INPUT, 128, 128 + 64 + 64 + 64));
            assertThat(stats.sites().get(3)).isEqualTo(new SpikeSite(1, SpikeSite.Kind.ATTENTION_INPUT, 128, 128 + 64 + 64));
            assertThat(stats.sites().get(6)).isEqualTo(new SpikeSite(1, SpikeSite.Kind.QUERY, 128, 0));
        }
    }

    private static long macs(Linear l) {
        return (long) l.rows() * l.cols();
    }

    @Test
    void everyCodeIsRoundOfWeightOverScaleIncludingThoseOutsideInt8() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> codes = (Map<String, Object>) expectedJson().get("weight_codes");
        try (Model model = Model.load(FIXTURE); Checkpoint ckpt = Checkpoint.open(FIXTURE)) {
            List<String> linears = new ArrayList<>();
            List<SpikeWeights> loaded = new ArrayList<>();
            for (int i = 0; i < model.config().numLayers(); i++) {
                LayerWeights lw = model.weights().layers().get(i);
                AttentionWeights a = lw.attention();
                String p = "model.layers." + i + ".";
                add(linears, loaded, p + "attn.q_proj", a.q());
                add(linears, loaded, p + "attn.k_proj", a.k());
                add(linears, loaded, p + "attn.v_proj", a.v());
                add(linears, loaded, p + "attn.o_proj", a.o());
                add(linears, loaded, p + "mlp.gate_proj", lw.gateProj());
                add(linears, loaded, p + "mlp.up_proj", lw.upProj());
                if (a.gate() != null) {
                    add(linears, loaded, p + "attn.gk_proj", ((io.spikestream.engine.model.GlaGate.Dense) a.gate()).linear());
                }
            }
            long count = 0;
            long outside = 0;
            int min = 0;
            int max = 0;
            for (int n = 0; n < linears.size(); n++) {
                Matrix w = Matrix.map(ckpt.tensors().get(linears.get(n) + ".weight"));
                float[] scales = Matrix.readVector(ckpt.tensors().get(linears.get(n) + ".weight_quantizer.scales"));
                SpikeWeights sw = loaded.get(n);
                int groups = w.cols() / sw.groupSize();
                float[] row = new float[w.cols()];
                for (int o = 0; o < w.rows(); o++) {
                    w.widenRow(o, row, 0);
                    for (int i = 0; i < w.cols(); i++) {
                        int expected = (int) Math.rint((double) row[i] / scales[o * groups + i / sw.groupSize()]);
                        assertThat(sw.code(o, i)).as("%s [%d, %d]", linears.get(n), o, i).isEqualTo(expected);
                        count++;
                        outside += expected < -128 || expected > 127 ? 1 : 0;
                        min = Math.min(min, expected);
                        max = Math.max(max, expected);
                    }
                }
            }
            // The reference also counts down_proj's codes (its scales exist, unused by the forward pass).
            for (int i = 0; i < model.config().numLayers(); i++) {
                String name = "model.layers." + i + ".mlp.down_proj";
                Matrix w = Matrix.map(ckpt.tensors().get(name + ".weight"));
                float[] scales = Matrix.readVector(ckpt.tensors().get(name + ".weight_quantizer.scales"));
                int groupSize = w.cols() / (scales.length / w.rows());
                float[] row = new float[w.cols()];
                for (int o = 0; o < w.rows(); o++) {
                    w.widenRow(o, row, 0);
                    for (int c = 0; c < w.cols(); c++) {
                        int code = (int) Math.rint((double) row[c] / scales[o * (w.cols() / groupSize) + c / groupSize]);
                        count++;
                        outside += code < -128 || code > 127 ? 1 : 0;
                        min = Math.min(min, code);
                        max = Math.max(max, code);
                    }
                }
            }
            assertThat(count).isEqualTo(((Number) codes.get("count")).longValue());
            assertThat((double) outside / count).isEqualTo(((Number) codes.get("outside_int8")).doubleValue());
            assertThat(min).isEqualTo(((Number) codes.get("min")).intValue()).isEqualTo(-200);
            assertThat(max).isEqualTo(((Number) codes.get("max")).intValue());
        }
    }

    private static void add(List<String> names, List<SpikeWeights> weights, String name, Linear linear) {
        assertThat(linear).as(name).isInstanceOf(SpikingLinear.class);
        names.add(name);
        weights.add(((SpikingLinear) linear).weight());
    }

    @Test
    void threadsDecodeAndPrefillGiveTheSameBits() {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        Runs.Output reference;
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            reference = Runs.whole(engine, tokens);
            assertThat(Runs.run(engine, tokens, p -> 1, Set.of()).sameBits(reference)).as("decode, 1 thread").isTrue();
        }
        for (int threads : new int[] {2, 3}) {
            try (Engine engine = Engine.load(FIXTURE, new EngineOptions(threads))) {
                assertThat(Runs.whole(engine, tokens).sameBits(reference)).as("prefill, %d threads", threads).isTrue();
                assertThat(Runs.run(engine, tokens, p -> 1, Set.of(7, 19)).sameBits(reference))
                        .as("decode with save/restore, %d threads", threads).isTrue();
            }
        }
    }

    @Test
    void theWindowKeepsInt8CodesAndOneScalePerTokenAndHead() {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            DocumentState doc = engine.newDocument();
            engine.advance(doc, tokens);
            int window = engine.model().config().slidingWindow();
            int kvDim = engine.model().config().numKvHeads() * engine.model().config().headDim();
            int heads = engine.model().config().numKvHeads();
            QuantizedKvWindow w = (QuantizedKvWindow) doc.window(1);
            // scale = max|x| / 127: the largest code of every position and head is ±127 (or ±128 by rounding of x/scale).
            int d = kvDim / heads;
            for (long p = tokens.length - window; p < tokens.length; p++) {
                for (int j = 0; j < heads; j++) {
                    int maxKey = 0;
                    int maxValue = 0;
                    for (int e = 0; e < d; e++) {
                        maxKey = Math.max(maxKey, Math.abs(w.keyCodes()[w.offset(p) + j * d + e]));
                        maxValue = Math.max(maxValue, Math.abs(w.valueCodes()[w.offset(p) + j * d + e]));
                    }
                    assertThat(maxKey).as("position %d head %d", p, j).isBetween(127, 128);
                    assertThat(maxValue).as("position %d head %d", p, j).isBetween(127, 128);
                    assertThat(w.keyScales()[w.scaleOffset(p) + j]).isPositive();
                }
            }
            // The saved window is codes and scales: 2·kvDim bytes + 2·heads floats per position.
            byte[] saved = engine.save(doc);
            DocumentState floatLayout = engine.newDocument();
            long perPosition = 2L * kvDim + 8L * heads;
            assertThat(w.liveBytes(tokens.length)).isEqualTo(window * perPosition);
            assertThat(StateCodec.encodedSize(doc)).isEqualTo(saved.length);
            DocumentState restored = engine.restore(saved);
            QuantizedKvWindow r = (QuantizedKvWindow) restored.window(1);
            assertThat(r.keyCodes()).isEqualTo(w.keyCodes());
            assertThat(r.valueCodes()).isEqualTo(w.valueCodes());
            assertThat(r.keyScales()).isEqualTo(w.keyScales());
            assertThat(r.valueScales()).isEqualTo(w.valueScales());
            assertThat(floatLayout.position()).isZero();
        }
    }

    @Test
    void aSpikingStateIsRefusedByTheFloatModel() {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        byte[] spiking;
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            DocumentState doc = engine.newDocument();
            engine.advance(doc, tokens);
            spiking = engine.save(doc);
            // Same model, but the int8 window claims to be a float one: refused by kind, not misread.
            byte[] relabelled = spiking.clone();
            int kindAt = layerKindOffset(engine, doc, 1);
            assertThat(relabelled[kindAt]).isEqualTo((byte) 3);
            relabelled[kindAt] = 1;
            reseal(relabelled);
            assertThatThrownBy(() -> engine.restore(relabelled)).isInstanceOf(StateFormatException.class)
                    .hasMessageContaining("is a sliding-window layer").hasMessageContaining("int8 sliding-window");
        }
        try (Engine floatEngine = Engine.load(TestData.tinyF32(), new EngineOptions(1))) {
            assertThatThrownBy(() -> floatEngine.restore(spiking)).isInstanceOf(StateFormatException.class)
                    .hasMessageContaining("belongs to model");
        }
    }

    /** Offset of layer {@code layer}'s kind byte in a saved state (the layers follow the fixed header). */
    private static int layerKindOffset(Engine engine, DocumentState doc, int layer) {
        int hidden = engine.model().config().hiddenSize();
        int offset = 8 + 2 + 2 + 32 + 6 * 4 + 8 + 8 + 4 * hidden + 4 + doc.tokenizerTail().length();
        for (int i = 0; i < layer; i++) {
            offset += 1;
            var g = doc.gla(i);
            offset += 4 * g.matrix().length + 12 * (int) (doc.position() % 16) * g.kvHeads() * g.headDim();
        }
        return offset;
    }

    private static void reseal(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) crc.getValue());
    }

    @Test
    void checkpointTensorsAreDetectedByTheirScales() {
        try (Checkpoint ckpt = Checkpoint.open(FIXTURE)) {
            TensorInfo scales = ckpt.tensors().get("model.layers.0.mlp.down_proj.weight_quantizer.scales");
            assertThat(scales.shape()).containsExactly(128, 2, 1);
        }
        try (Model model = Model.load(FIXTURE); Model floatModel = Model.load(TestData.tinyF32())) {
            assertThat(model.spiking()).isTrue();
            assertThat(floatModel.spiking()).isFalse();
            assertThat(model.weights().layers().get(0).downProj().dtype()).isEqualTo(io.spikestream.engine.safetensors.DType.F32);
        }
    }
}
