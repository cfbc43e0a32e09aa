package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise activations of the gla_swa architecture. */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Activations() {
    }

    /** {@link #siluMul(float[], float[], int)} shared among threads in parts of whole vectors (same bits). */
    public static void siluMul(float[] gate, float[] up, int n, Parallel parallel) {
        int vectors = (n + S.length() - 1) / S.length();
        parallel.forRange(vectors, 256, (v0, v1) -> siluMul(gate, up, v0 * S.length(), Math.min(n, v1 * S.length())));
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]} with silu(z) = z / (1 + e^-z). */
    public static void siluMul(float[] gate, float[] up, int n) {
        siluMul(gate, up, 0, n);
    }

    private static void siluMul(float[] gate, float[] up, int from, int n) {
        int i = from;
        for (int bound = from + S.loopBound(n - from); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector silu = g.div(Exp.exp(g.neg()).add(1f));
            silu.mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (Exp.exp(-g) + 1f) * up[i];
        }
    }

    public static void relu(float[] x, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, i).max(0f).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] = Math.max(x[i], 0f);
        }
    }

    /** {@code g[i] = logSigmoid(g[i]) / normalizer}, shared among threads. */
    public static void logSigmoidScaled(float[] g, int n, float normalizer, Parallel parallel) {
        parallel.forRange(n, 512, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                g[i] = logSigmoid(g[i]) / normalizer;
            }
        });
    }

    /** log(sigmoid(x)) without overflow, in double with StrictMath (deterministic everywhere). */
    public static float logSigmoid(float x) {
        double v = x;
        double r = v >= 0 ? -StrictMath.log1p(StrictMath.exp(-v)) : v - StrictMath.log1p(StrictMath.exp(v));
        return (float) r;
    }
}
