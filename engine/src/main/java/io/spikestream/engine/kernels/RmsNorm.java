package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm(x; w) = x / sqrt(mean(x²) + eps) ⊙ w: Σx² by {@link Dot}'s definition (float lanes, the fixed
 * tree), the inverse root in double, then {@code x · inv · w} in float, so vector and scalar parts agree.
 */
public final class RmsNorm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private RmsNorm() {
    }

    public static void apply(float[] x, int xOffset, float[] weight, double eps, float[] out, int outOffset, int n) {
        double sum = Dot.dot(x, xOffset, x, xOffset, n);
        float inv = (float) (1.0 / Math.sqrt(sum / n + eps));
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOffset + i).mul(inv).mul(FloatVector.fromArray(S, weight, i)).intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inv * weight[i];
        }
    }

    /** Rows [from, to) of length n normalized, shared among threads. */
    public static void rows(float[] x, float[] weight, double eps, float[] out, int from, int to, int n, Parallel parallel) {
        parallel.forRange(to - from, Math.max(1, 4096 / Math.max(1, n)), (r0, r1) -> {
            for (int r = from + r0; r < from + r1; r++) {
                apply(x, r * n, weight, eps, out, r * n, n);
            }
        });
    }
}
