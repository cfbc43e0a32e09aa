package io.spikestream.engine.spiking;

import io.spikestream.engine.model.Model;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A W8ASpike checkpoint whose scales are missing or do not fit is refused, naming the tensor and the shapes. */
class W8ASpikeLoadingTest {
    private static final String Q = "model.layers.0.attn.q_proj";
    private static final String SCALES = Q + ".weight_quantizer.scales";

    @TempDir
    Path tmp;

    /** The fixture with one tensor replaced (or dropped when {@code replace} adds nothing). */
    private Path variant(String name, BiConsumer<SafetensorsWriter, TensorInfo> replace) throws IOException {
        Path src = TestData.tinyW8ASpike();
        Path dir = Files.createTempDirectory(tmp, "variant");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (Checkpoint ckpt = Checkpoint.open(src)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (Map.Entry<String, TensorInfo> e : ckpt.tensors().entrySet()) {
                if (e.getKey().equals(name)) {
                    replace.accept(w, e.getValue());
                } else {
                    w.copy(e.getKey(), e.getValue());
                }
            }
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void aMissingScaleNamesTheTensorAndTheWeightsShape() throws IOException {
        Path dir = variant(SCALES, (w, t) -> { });
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("missing tensor '" + SCALES + "'").hasMessageContaining("[128, 128]");
    }

    @Test
    void misShapedScalesAreRefused() throws IOException {
        Path dir = variant(SCALES, (w, t) -> w.addFloats(SCALES, DType.F32, new long[] {64, 2, 1}, filled(128, 0.01f)));
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(SCALES).hasMessageContaining("[64, 2, 1]").hasMessageContaining("[128, 128]");
        Path rank = variant(SCALES, (w, t) -> w.addFloats(SCALES, DType.F32, new long[] {128, 1, 2}, filled(256, 0.01f)));
        assertThatThrownBy(() -> Model.load(rank)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(SCALES).hasMessageContaining("[128, 1, 2]");
    }

    @Test
    void aGroupSizeThatDoesNotDivideTheInputsIsRefused() throws IOException {
        Path dir = variant(SCALES, (w, t) -> w.addFloats(SCALES, DType.F32, new long[] {128, 3, 1}, filled(384, 0.01f)));
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(SCALES).hasMessageContaining("[128, 3, 1]")
                .hasMessageContaining("3 groups do not divide the 128 input features");
    }

    @Test
    void aScaleThatIsNotPositiveIsRefused() throws IOException {
        float[] scales = filled(128, 0.01f);
        scales[5] = 0f;
        Path dir = variant(SCALES, (w, t) -> w.addFloats(SCALES, DType.F32, new long[] {128, 1, 1}, scales));
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(Q).hasMessageContaining("row 5").hasMessageContaining("positive");
    }

    @Test
    void bf16WeightsAreTurnedIntoTheCodesOfTheirBf16Values() throws IOException {
        String weight = Q + ".weight";
        float[][] stored = new float[1][];
        Path dir = variant(weight, (w, t) -> {
            float[] values = new float[128 * 128];
            io.spikestream.engine.tensor.Matrix.map(t).widenRows(0, 128, values, 0);
            for (int i = 0; i < values.length; i++) {
                values[i] = io.spikestream.engine.tensor.BF16Matrix.decode(io.spikestream.engine.tensor.BF16Matrix.encode(values[i]));
            }
            stored[0] = values;
            w.addFloats(weight, DType.BF16, new long[] {128, 128}, values);
        });
        try (Model model = Model.load(dir); Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.tensors().get(weight).dtype()).isEqualTo(DType.BF16);
            float[] scales = io.spikestream.engine.tensor.Matrix.readVector(ckpt.tensors().get(SCALES));
            var q = io.spikestream.engine.testing.SpikingLinears.byName(model).get(Q);
            for (int o = 0; o < 128; o++) {
                for (int i = 0; i < 128; i++) {
                    assertThat(q.code(o, i)).isEqualTo((int) Math.rint((double) stored[0][o * 128 + i] / scales[o]));
                }
            }
        }
    }

    @Test
    void aW8ASpikeGlaLayerNeedsItsDenseGate() throws IOException {
        String gate = "model.layers.0.attn.gk_proj.weight";
        Path dir = variant(gate, (w, t) -> { });
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("missing tensor '" + gate + "'").hasMessageContaining("[64, 128]");
    }
}
