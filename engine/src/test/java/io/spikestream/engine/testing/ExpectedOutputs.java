package io.spikestream.engine.testing;

import io.spikestream.engine.safetensors.SafetensorsFile;
import io.spikestream.engine.safetensors.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** A fixture's {@code expected.safetensors}: the tokens (I32) and the float64 reference's logits (F32). */
public record ExpectedOutputs(int[] tokens, float[][] logits) {

    public static ExpectedOutputs read(Path fixtureDir) {
        try (SafetensorsFile f = SafetensorsFile.open(fixtureDir.resolve("expected.safetensors"))) {
            TensorInfo tokens = f.tensors().get("tokens");
            TensorInfo logits = f.tensors().get("logits");
            ByteBuffer tb = ByteBuffer.wrap(f.read(tokens.offset(), (int) tokens.length())).order(ByteOrder.LITTLE_ENDIAN);
            int[] ids = new int[(int) tokens.elementCount()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tb.getInt();
            }
            int rows = (int) logits.shape()[0];
            int cols = (int) logits.shape()[1];
            ByteBuffer lb = ByteBuffer.wrap(f.read(logits.offset(), (int) logits.length())).order(ByteOrder.LITTLE_ENDIAN);
            float[][] out = new float[rows][cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[r][c] = lb.getFloat();
                }
            }
            return new ExpectedOutputs(ids, out);
        }
    }
}
