package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;

/** float32 weights. */
public final class F32Matrix extends Matrix {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    F32Matrix(int rows, int cols, ByteBuffer[] pages) {
        super(rows, cols, pages, 4);
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public void widenRow(int row, float[] dst, int dstOffset) {
        ByteBuffer bb = page(row);
        MappedVectors.Region region = region(row);
        int base = byteOffset(row);
        int i = 0;
        for (int upper = S.loopBound(cols); i < upper; i += S.length()) {
            MappedVectors.floats(S, region, base + 4 * i).intoArray(dst, dstOffset + i);
        }
        for (; i < cols; i++) {
            dst[dstOffset + i] = bb.getFloat(base + 4 * i);
        }
    }
}
