package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.DType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MatrixTest {

    @Test
    void bf16WideningIsExact() {
        int n = 1 << 16;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = Float.intBitsToFloat(i << 16); // every bf16 bit pattern
        }
        Matrix m = Matrix.fromFloats(DType.BF16, 256, 256, values);
        float[] out = new float[n];
        m.widenRows(0, 256, out, 0);
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(values[i])) {
                assertThat(out[i]).isNaN(); // encoding quiets signalling NaNs
            } else {
                assertThat(Float.floatToRawIntBits(out[i]) >>> 16).as("bits %04x", i).isEqualTo(i);
            }
        }
    }

    @Test
    void bf16EncodingRoundsToNearestEven() {
        assertThat(BF16Matrix.encode(1.0f)).isEqualTo((short) 0x3F80);
        assertThat(BF16Matrix.decode(BF16Matrix.encode(1.00390625f))).isEqualTo(1.0f); // tie -> even
        assertThat(BF16Matrix.decode(BF16Matrix.encode(1.01171875f))).isEqualTo(1.015625f); // tie -> even (up)
        assertThat(BF16Matrix.decode(BF16Matrix.encode(1.0040f))).isEqualTo(1.0078125f);
    }

    @Test
    void f16ConversionMatchesIeeeHalf() {
        assertThat(F16Matrix.toFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(F16Matrix.toFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(F16Matrix.toFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(F16Matrix.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(F16Matrix.toFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        for (int bits = 0; bits < 0x7C00; bits += 7) {
            float f = F16Matrix.toFloat((short) bits);
            assertThat(F16Matrix.encodeHalf(f)).as("bits %04x", bits).isEqualTo((short) bits);
        }
    }

    @Test
    void f32AndF16RowsWidenToTheirValues() {
        float[] values = {0.5f, -1.25f, 3f, 1e-3f, 7f, -8f};
        for (DType t : new DType[] {DType.F32, DType.F16}) {
            Matrix m = Matrix.fromFloats(t, 2, 3, values);
            assertThat(m.get(1, 0)).isCloseTo(1e-3f, org.assertj.core.data.Offset.offset(1e-6f));
            assertThat(m.get(0, 1)).isEqualTo(-1.25f);
            assertThat(m.get(1, 2)).isEqualTo(-8f);
        }
    }
}
