package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.DType;

import java.nio.ByteBuffer;

/** IEEE half-precision weights, widened through a 64K-entry table (exact). */
public final class F16Matrix extends Matrix {
    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            TABLE[i] = toFloat((short) i);
        }
    }

    F16Matrix(int rows, int cols, ByteBuffer[] pages) {
        super(rows, cols, pages, 2);
    }

    @Override
    public DType dtype() {
        return DType.F16;
    }

    @Override
    public void widenRow(int row, float[] dst, int dstOffset) {
        ByteBuffer bb = page(row);
        int base = byteOffset(row);
        for (int i = 0; i < cols; i++) {
            dst[dstOffset + i] = TABLE[bb.getShort(base + 2 * i) & 0xFFFF];
        }
    }

    static float toFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // Subnormal half: value = mant * 2^-24, exactly representable in float.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Round-to-nearest-even float32 to half (for generated weights). */
    public static short encodeHalf(float v) {
        int bits = Float.floatToRawIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        float a = Math.abs(v);
        if (Float.isNaN(v)) {
            return (short) (sign | 0x7E00);
        }
        if (a >= 65520f) {
            return (short) (sign | 0x7C00);
        }
        if (a < 0x1p-14f) {
            return (short) (sign | Math.round(a * 0x1p24f)); // subnormal (Math.round ties up; rare in tests)
        }
        int abits = Float.floatToRawIntBits(a);
        int exp = ((abits >>> 23) & 0xFF) - 112;
        int mant = abits & 0x7FFFFF;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }
}
