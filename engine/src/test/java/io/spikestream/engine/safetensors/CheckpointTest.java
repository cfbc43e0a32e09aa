package io.spikestream.engine.safetensors;

import io.spikestream.engine.model.Model;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad checkpoints fail with errors that name the problem; good ones load the same from any layout. */
class CheckpointTest {
    @TempDir
    Path tmp;

    /** Copies the f32 fixture, passing every tensor through {@code edit} (return null to drop it). */
    private Path rewrite(BiFunction<String, TensorInfo, TensorInfo> edit, BiFunction<String, byte[], byte[]> data) throws IOException {
        Path src = TestData.tinyF32();
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (Map.Entry<String, TensorInfo> e : f.tensors().entrySet()) {
                TensorInfo info = edit.apply(e.getKey(), e.getValue());
                if (info != null) {
                    byte[] bytes = data.apply(e.getKey(), f.read(info.offset(), (int) e.getValue().length()));
                    w.add(e.getKey(), info.dtype(), info.shape(), bytes);
                }
            }
        }
        w.write(tmp.resolve("model.safetensors"));
        return tmp;
    }

    @Test
    void rewrittenCopyLoadsWithTheSameFingerprint() throws IOException {
        Path copy = rewrite((n, i) -> i, (n, b) -> b);
        try (Model a = Model.load(copy); Model b = Model.load(TestData.tinyF32())) {
            assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
        }
    }

    @Test
    void changedWeightsChangeTheFingerprint() throws IOException {
        Path copy = rewrite((n, i) -> i, (n, b) -> {
            if (n.equals("model.layers.2.mlp.up_proj.weight")) {
                b[100] ^= 1;
            }
            return b;
        });
        try (Model a = Model.load(copy); Model b = Model.load(TestData.tinyF32())) {
            assertThat(a.fingerprint()).isNotEqualTo(b.fingerprint());
        }
    }

    @Test
    void missingTensorIsNamedWithItsExpectedShape() throws IOException {
        Path dir = rewrite((n, i) -> n.equals("model.layers.1.attn.k_proj.weight") ? null : i, (n, b) -> b);
        assertThatThrownBy(() -> Model.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("missing tensor 'model.layers.1.attn.k_proj.weight'")
                .hasMessageContaining("[32, 64]");
    }

    @Test
    void wrongShapeNamesExpectedAndFound() throws IOException {
        Path dir = rewrite((n, i) -> n.equals("model.layers.0.mlp.down_proj.weight")
                ? new TensorInfo(n, i.dtype(), new long[] {96, 64}, i.offset(), i.length(), i.file()) : i, (n, b) -> b);
        assertThatThrownBy(() -> Model.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'model.layers.0.mlp.down_proj.weight' has shape [96, 64]")
                .hasMessageContaining("needs [64, 96]");
    }

    @Test
    void glaGateIsRequiredOnGlaLayers() throws IOException {
        Path dir = rewrite((n, i) -> n.equals("model.layers.2.attn.gk_proj.1.bias") ? null : i, (n, b) -> b);
        assertThatThrownBy(() -> Model.load(dir)).hasMessageContaining("missing tensor 'model.layers.2.attn.gk_proj.1.bias'");
    }

    @Test
    void truncatedFileNamesTheTensorThatDoesNotFit() throws IOException {
        Path dir = rewrite((n, i) -> i, (n, b) -> b);
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertThatThrownBy(() -> Model.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("is truncated")
                .hasMessageContaining("lm_head.weight");
    }

    @Test
    void corruptHeaderLengthIsReported() throws IOException {
        Path dir = rewrite((n, i) -> i, (n, b) -> b);
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(0);
            raf.write(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0});
        }
        assertThatThrownBy(() -> Model.load(dir)).isInstanceOf(CheckpointException.class).hasMessageContaining("header length");
    }

    @Test
    void unsupportedDtypeIsReported() throws IOException {
        Path dir = rewrite((n, i) -> n.equals("model.norm.weight")
                ? new TensorInfo(n, DType.I32, i.shape(), i.offset(), i.length(), i.file()) : i, (n, b) -> b);
        assertThatThrownBy(() -> Model.load(dir)).hasMessageContaining("'model.norm.weight' has dtype I32");
    }

    @Test
    void missingShardIsReported() throws IOException {
        Path src = TestData.tinyBf16Sharded();
        for (String f : new String[] {"config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors"}) {
            Files.copy(src.resolve(f), tmp.resolve(f));
        }
        assertThatThrownBy(() -> Model.load(tmp))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors")
                .hasMessageContaining("is missing");
    }

    @Test
    void noWeightsAtAll() throws IOException {
        Files.copy(TestData.tinyF32().resolve("config.json"), tmp.resolve("config.json"));
        assertThatThrownBy(() -> Model.load(tmp)).hasMessageContaining("no weights in");
    }

    @Test
    void largeTensorsAreMappedInRowAlignedPieces() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        float[] values = new float[30 * 7];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        w.addFloats("m", DType.F32, new long[] {30, 7}, values);
        Path file = tmp.resolve("x.safetensors");
        w.write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo t = f.tensors().get("m");
            java.nio.ByteBuffer[] pieces = f.map(t.offset(), t.length(), 28, 100); // 3 rows of 28 bytes per piece
            assertThat(pieces).hasSize(10);
            assertThat(pieces[9].getFloat(0)).isEqualTo(27 * 7f);
        }
    }
}
