package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;

/** bfloat16 weights, kept as bf16 in memory; a bf16 is the upper half of a float32, so widening is exact. */
public final class BF16Matrix extends Matrix {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = I.length() == 16 ? ShortVector.SPECIES_256
            : I.length() == 8 ? ShortVector.SPECIES_128 : ShortVector.SPECIES_64;

    BF16Matrix(int rows, int cols, ByteBuffer[] pages) {
        super(rows, cols, pages, 2);
    }

    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public void widenRow(int row, float[] dst, int dstOffset) {
        ByteBuffer bb = page(row);
        MappedVectors.Region region = region(row);
        int base = byteOffset(row);
        int i = 0;
        for (int upper = cols - cols % I.length(); i < upper; i += I.length()) {
            ShortVector s = MappedVectors.shorts(H, region, base + 2 * i);
            IntVector wide = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
            FloatVector f = wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            f.intoArray(dst, dstOffset + i);
        }
        for (; i < cols; i++) {
            dst[dstOffset + i] = decode(bb.getShort(base + 2 * i));
        }
    }

    /** The buffer that holds row {@code r}, prepared for vector loads (kernels that read the bf16 values directly). */
    public MappedVectors.Region rowRegion(int r) {
        return region(r);
    }

    /** Where row {@code r} starts in {@link #rowRegion}, in bytes. */
    public int rowByteOffset(int r) {
        return byteOffset(r);
    }

    public static float decode(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even float32 to bf16 (NaN stays NaN). */
    public static short encode(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
