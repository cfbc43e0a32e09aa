package io.spikestream.engine.model;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.PartStore;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.engine.state.StateParts;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The spikingbrain_moe layout beyond the fixture's logits (ParityTest, ChunkInvarianceTest, DeterminismTest):
 * its growing state paged by position, its state format, its routing, and its load errors.
 */
class SpikingBrainMoeTest {
    private static final Path FIXTURE = TestData.fixture("tiny-spikingbrain-moe-f32");
    private static final int PAGE = 4;

    /** Records every part written, by key. */
    private static final class RecordingStore implements PartStore {
        final Map<String, byte[]> parts = new HashMap<>();
        final List<String> written = new ArrayList<>();

        @Override
        public byte[] header() {
            return parts.get("header");
        }

        @Override
        public byte[] gla(int layer) {
            return parts.get("gla" + layer);
        }

        @Override
        public byte[] page(int layer, int page) {
            return parts.get("kv" + layer + "/" + page);
        }

        @Override
        public void putHeader(byte[] bytes) {
            put("header", bytes);
        }

        @Override
        public void putGla(int layer, byte[] bytes) {
            put("gla" + layer, bytes);
        }

        @Override
        public void putPage(int layer, int page, byte[] bytes) {
            put("kv" + layer + "/" + page, bytes);
        }

        private void put(String key, byte[] bytes) {
            parts.put(key, bytes);
            written.add(key);
        }
    }

    /**
     * The full-attention layer (3) keeps every position, slot = position: a chunk writes the pages of its own
     * positions only (the last one it extends and the new ones), never an earlier one; the sliding layers their
     * ring pages; every layer its linear state. After many chunks the parts reassemble the exact state, which
     * continues with the bits of the uninterrupted document.
     */
    @Test
    void theGrowingStateIsPagedByPositionAndEachChunkWritesOnlyItsPages() throws Exception {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            MoeLayout moe = engine.model().config().moe();
            assertThat(moe.fullAttentionLayers()).containsExactly(3);
            RecordingStore store = new RecordingStore();
            DocumentState doc = engine.newDocument();
            int pos = 0;
            for (int size : new int[] {1, 3, 5, 2, 9, 4, 6}) {
                long start = doc.position();
                engine.advance(doc, Arrays.copyOfRange(tokens, pos, pos + size));
                pos += size;
                store.written.clear();
                StateParts.save(doc, store, start, size, PAGE);
                TreeSet<String> fullPages = new TreeSet<>();
                for (String key : store.written) {
                    if (key.startsWith("kv3/")) {
                        fullPages.add(key);
                    }
                }
                TreeSet<String> expected = new TreeSet<>();
                for (long p = start / PAGE; p <= (pos - 1) / PAGE; p++) {
                    expected.add("kv3/" + p);
                }
                assertThat(fullPages).as("pages of layer 3 written by the chunk [%d, %d)", start, pos).isEqualTo(expected);
                assertThat(store.written).as("every layer's linear state").contains("gla0", "gla1", "gla2", "gla3");
                // a page holds the positions written so far: the last one is partial
                int lastSlots = (int) (pos - (pos - 1) / PAGE * PAGE);
                assertThat(store.page(3, (pos - 1) / PAGE).length).isEqualTo(12 + 8 * lastSlots * 32 + 4);
            }
            DocumentState rebuilt = StateParts.load(engine.newDocument(), store, PAGE);
            assertThat(StateCodec.encode(rebuilt)).isEqualTo(StateCodec.encode(doc));
            int[] more = Arrays.copyOfRange(tokens, pos, tokens.length);
            assertThat(engine.advance(rebuilt, more).logProbs()).isEqualTo(engine.advance(doc, more).logProbs());
        }
    }

    /**
     * Heads of 64 (the fixture's are 16: the kernels' wider paths), a window of 20 and more sinks than one block of 16
     * keys, a document of 3 passes: any chunking, save/restore point and thread count gives the same bits.
     */
    @Test
    void wideHeadsLongDocumentsAnyChunkingAndThreadsGiveTheSameBits() {
        Configuration config = Configuration.parse("""
                {"model_type":"spikingbrain_moe","hidden_size":128,"num_attention_heads":2,"num_key_value_heads":1,
                 "num_hidden_layers":3,"intermediate_size":96,"vocab_size":300,"sliding_window":20,"rope_theta":10000.0,
                 "norm_eps":1e-6,"full_attention_layers":[2],"num_sink_tokens":19,"dense_layers":[0],"num_experts":5,
                 "num_experts_per_tok":2,"moe_intermediate_size":32,"num_shared_experts":1,"shared_expert_intermediate_size":48}""");
        Model model = Model.generate(config, DType.BF16, 3);
        int[] tokens = new SplittableRandom(5).ints(Model.MAX_PASS_TOKENS * 2 + 37, 0, 300).toArray();
        io.spikestream.engine.testing.Runs.Output whole;
        try (Engine one = new Engine(model, new EngineOptions(1))) {
            whole = io.spikestream.engine.testing.Runs.whole(one, tokens);
            assertThat(io.spikestream.engine.testing.Runs.run(one, tokens, p -> 1 + p % 23, java.util.Set.of(1, 40, 300)).sameBits(whole))
                    .isTrue();
        }
        try (Engine two = new Engine(model, new EngineOptions(2))) {
            assertThat(io.spikestream.engine.testing.Runs.whole(two, tokens).sameBits(whole)).isTrue();
            assertThat(io.spikestream.engine.testing.Runs.run(two, tokens, p -> 17, java.util.Set.of()).sameBits(whole)).isTrue();
        }
        assertThat(whole.logits()).doesNotContain(Float.NaN);
    }

    /** The state's bytes: version 3 for the two-part layers, growing with the full-attention layer only. */
    @Test
    void stateFormatAndSize() {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine engine = Engine.load(FIXTURE, new EngineOptions(1))) {
            DocumentState doc = engine.newDocument();
            engine.advance(doc, Arrays.copyOf(tokens, 20));
            byte[] at20 = engine.save(doc);
            assertThat(ByteBuffer.wrap(at20).order(ByteOrder.LITTLE_ENDIAN).getShort(8)).isEqualTo((short) 3);
            engine.advance(doc, Arrays.copyOfRange(tokens, 20, 36));
            byte[] at36 = engine.save(doc);
            // 16 positions later (a whole GLA block, windows full): only layer 3's keys and values grew, 2 × 32 floats each
            assertThat(at36.length - at20.length).isEqualTo(16 * 2 * 32 * 4);
            try (Engine other = Engine.load(TestData.tinyF32(), new EngineOptions(1))) {
                assertThatThrownBy(() -> other.restore(at36)).isInstanceOf(StateFormatException.class).hasMessageContaining("belongs to model");
            }
        }
    }

    /** Top-1 of two equal router scores is the lower index; a token's sum is Σ p_e · Expert_e + shared, hand-computed. */
    @Test
    void routingPicksTheLargestScoresAndTheLowerIndexOnTies() {
        // H = 2, experts of width 1: gate reads m0, up reads m1, expert e writes (e + 1) · silu(m0) · m1 to out[0]
        List<FeedForward.SwiGlu> experts = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            experts.add(swiGlu(e + 1f, 0f));
        }
        FeedForward.SwiGlu shared = swiGlu(0f, 1f); // writes silu(m0) · m1 to out[1]
        // router: experts 0 and 1 score 2·m0, expert 2 scores m0 (so for m0 > 0 the tie between 0 and 1 decides)
        Linear router = new DenseLinear(Matrix.fromFloats(DType.F32, 3, 2, new float[] {2, 0, 2, 0, 1, 0}));
        float[] m = {0.5f, 3f, -1f, 2f};
        double silu0 = 0.5 / (1 + Math.exp(-0.5)) * 3;
        double silu1 = -1 / (1 + Math.exp(1)) * 2;
        double p0 = 1 / (1 + Math.exp(-1.0)); // σ(2 · 0.5)
        double p1 = 1 / (1 + Math.exp(2.0)); // σ(2 · −1): now expert 2's σ(−1) is larger
        double p2 = 1 / (1 + Math.exp(1.0));
        float[] top1 = apply(new FeedForward.MixtureOfExperts(router, experts, 1, List.of(shared)), m, 2);
        assertThat(top1[0]).as("token 0 → expert 0 (tied with 1)").isCloseTo((float) (p0 * 1 * silu0), within(silu0));
        assertThat(top1[1]).isCloseTo((float) silu0, within(silu0));
        assertThat(top1[2]).as("token 1 → expert 2").isCloseTo((float) (p2 * 3 * silu1), within(silu1));
        assertThat(top1[3]).isCloseTo((float) silu1, within(silu1));
        float[] top2 = apply(new FeedForward.MixtureOfExperts(router, experts, 2, List.of()), m, 2);
        assertThat(top2[0]).as("token 0 → experts 0 and 1").isCloseTo((float) (p0 * 1 * silu0 + p0 * 2 * silu0), within(silu0));
        assertThat(top2[2]).as("token 1 → experts 2 and 0 (tied with 1)").isCloseTo((float) (p2 * 3 * silu1 + p1 * 1 * silu1), within(silu1));
    }

    /** A token's result does not depend on which tokens share its pass (the experts' groups). */
    @Test
    void groupingTokensByExpertGivesEachTokenTheBitsItHasAlone() {
        SplittableRandom rnd = new SplittableRandom(7);
        int h = 16;
        List<FeedForward.SwiGlu> experts = new ArrayList<>();
        for (int e = 0; e < 5; e++) {
            experts.add(new FeedForward.SwiGlu(new DenseLinear(Matrix.random(DType.BF16, 8, h, 10 + e, 0.5f)),
                    new DenseLinear(Matrix.random(DType.BF16, 8, h, 20 + e, 0.5f)), Matrix.random(DType.BF16, h, 8, 30 + e, 0.5f)));
        }
        FeedForward.MixtureOfExperts moe = new FeedForward.MixtureOfExperts(new DenseLinear(Matrix.random(DType.F32, 5, h, 40, 1f)), experts, 2,
                List.of(experts.get(0)));
        int n = 37;
        float[] m = new float[n * h];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) rnd.nextGaussian();
        }
        float[] all = apply(moe, m, h);
        for (int t = 0; t < n; t++) {
            float[] alone = apply(moe, Arrays.copyOfRange(m, t * h, (t + 1) * h), h);
            assertThat(Arrays.copyOfRange(all, t * h, (t + 1) * h)).as("token %d", t).isEqualTo(alone);
        }
    }

    @Test
    void aCheckpointWithoutTheConfiguredExpertsNamesTheTensor(@TempDir Path tmp) throws Exception {
        Path copy = copyWithConfig(tmp.resolve("five"), "\"num_experts\": 4", "\"num_experts\": 5");
        assertThatThrownBy(() -> Model.load(copy)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("missing tensor 'model.layers.1.mlp.experts.4.gate_proj.weight' (expected shape [48, 64])");
        Path wide = copyWithConfig(tmp.resolve("wide"), "\"moe_intermediate_size\": 48", "\"moe_intermediate_size\": 40");
        assertThatThrownBy(() -> Model.load(wide)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor 'model.layers.1.mlp.experts.0.gate_proj.weight' has shape [48, 64] but the config needs [40, 64]");
        Path sinks = copyWithConfig(tmp.resolve("sinks"), "\"num_sink_tokens\": 4", "\"num_sink_tokens\": 8");
        assertThatThrownBy(() -> Model.load(sinks)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor 'model.sink_embeddings' has shape [4, 64] but the config needs [8, 64]");
        Path topK = copyWithConfig(tmp.resolve("topk"), "\"num_experts_per_tok\": 1", "\"num_experts_per_tok\": 5");
        assertThatThrownBy(() -> Model.load(topK)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("num_experts_per_tok must be between 1 and num_experts 4, got 5");
    }

    /**
     * The fixture's values rounded to bfloat16, written once as BF16 in two shards with an index and once as F32, top-2
     * routing: the same numbers in two formats and layouts give the same bits (every kernel follows one definition).
     */
    @Test
    void aBf16ShardedCheckpointWithTopTwoRoutingEqualsItsF32Twin(@TempDir Path tmp) throws Exception {
        Path bf16 = Files.createDirectories(tmp.resolve("bf16"));
        Path f32 = Files.createDirectories(tmp.resolve("f32"));
        io.spikestream.engine.safetensors.SafetensorsWriter[] shards = {new io.spikestream.engine.safetensors.SafetensorsWriter(),
            new io.spikestream.engine.safetensors.SafetensorsWriter()};
        io.spikestream.engine.safetensors.SafetensorsWriter single = new io.spikestream.engine.safetensors.SafetensorsWriter();
        StringBuilder map = new StringBuilder();
        try (io.spikestream.engine.safetensors.Checkpoint c = io.spikestream.engine.safetensors.Checkpoint.open(FIXTURE)) {
            int n = 0;
            for (var e : new java.util.TreeMap<>(c.tensors()).entrySet()) {
                long[] shape = e.getValue().shape();
                float[] v = shape.length == 1 ? Matrix.readVector(e.getValue()) : floats(Matrix.map(e.getValue()));
                for (int i = 0; i < v.length; i++) {
                    v[i] = io.spikestream.engine.tensor.BF16Matrix.decode(io.spikestream.engine.tensor.BF16Matrix.encode(v[i]));
                }
                int shard = n++ % 2;
                shards[shard].addFloats(e.getKey(), DType.BF16, shape, v);
                single.addFloats(e.getKey(), DType.F32, shape, v);
                map.append(map.length() == 0 ? "" : ",").append('"').append(e.getKey()).append("\": \"model-0000").append(shard + 1)
                        .append("-of-00002.safetensors\"");
            }
        }
        shards[0].write(bf16.resolve("model-00001-of-00002.safetensors"));
        shards[1].write(bf16.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(bf16.resolve("model.safetensors.index.json"), "{\"weight_map\": {" + map + "}}");
        single.write(f32.resolve("model.safetensors"));
        String config = Files.readString(FIXTURE.resolve("config.json")).replaceAll("\\s+", " ");
        assertThat(config).contains("\"num_experts_per_tok\": 1");
        config = config.replace("\"num_experts_per_tok\": 1", "\"num_experts_per_tok\": 2");
        Files.writeString(bf16.resolve("config.json"), config);
        Files.writeString(f32.resolve("config.json"), config);
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Engine a = Engine.load(bf16, new EngineOptions(2)); Engine b = Engine.load(f32, new EngineOptions(1))) {
            assertThat(a.model().weights().embeddings().dtype()).isEqualTo(DType.BF16);
            assertThat(((FeedForward.MixtureOfExperts) a.model().weights().layers().get(1).ffn()).topK()).isEqualTo(2);
            io.spikestream.engine.testing.Runs.Output one = io.spikestream.engine.testing.Runs.whole(b, tokens);
            assertThat(io.spikestream.engine.testing.Runs.whole(a, tokens).sameBits(one)).isTrue();
            assertThat(io.spikestream.engine.testing.Runs.run(a, tokens, p -> 3, java.util.Set.of(1, 7)).sameBits(one)).isTrue();
        }
    }

    private static float[] floats(Matrix m) {
        float[] v = new float[m.rows() * m.cols()];
        m.widenRows(0, m.rows(), v, 0);
        return v;
    }

    private static Path copyWithConfig(Path dir, String from, String to) throws Exception {
        Files.createDirectories(dir);
        for (String f : new String[] {"model.safetensors"}) {
            Files.copy(FIXTURE.resolve(f), dir.resolve(f));
        }
        String config = Files.readString(FIXTURE.resolve("config.json")).replaceAll("\\s+", " ").replace("[ ", "[").replace(" ]", "]");
        assertThat(config).contains(from);
        Files.writeString(dir.resolve("config.json"), config.replace(from, to));
        return dir;
    }

    private static FeedForward.SwiGlu swiGlu(float down0, float down1) {
        return new FeedForward.SwiGlu(new DenseLinear(Matrix.fromFloats(DType.F32, 1, 2, new float[] {1, 0})),
                new DenseLinear(Matrix.fromFloats(DType.F32, 1, 2, new float[] {0, 1})),
                Matrix.fromFloats(DType.F32, 2, 1, new float[] {down0, down1}));
    }

    private static float[] apply(FeedForward ffn, float[] m, int h) {
        int n = m.length / h;
        float[] out = new float[m.length];
        FeedForward.MixtureOfExperts moe = (FeedForward.MixtureOfExperts) ffn;
        ffn.apply(new LinearInput(m, 0, n, h, null, -1), out, new FeedForward.Scratch(n, h, List.of(ffn)),
                Parallel.SERIAL);
        return out;
    }

    private static org.assertj.core.data.Offset<Float> within(double scale) {
        return org.assertj.core.data.Offset.offset((float) (1e-6 * Math.abs(scale) + 1e-7));
    }
}
