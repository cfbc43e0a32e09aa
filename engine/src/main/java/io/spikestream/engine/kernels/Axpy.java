package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[i] = fma(a, x[i], y[i])}: one fused multiply-add per element, so the vector and scalar parts give
 * the same bits; used where a sum runs over rows (lanes hold output elements, the sum is in row order).
 */
public final class Axpy {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Axpy() {
    }

    public static void fma(float a, float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, a);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            av.fma(FloatVector.fromArray(S, x, xOffset + i), FloatVector.fromArray(S, y, yOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] = Math.fma(a, x[xOffset + i], y[yOffset + i]);
        }
    }

    /** {@code y[i] *= a}. */
    public static void scale(float a, float[] y, int yOffset, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, y, yOffset + i).mul(a).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] *= a;
        }
    }

    /** {@code y[i] += x[i]}. */
    public static void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, y, yOffset + i).add(FloatVector.fromArray(S, x, xOffset + i)).intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }
}
