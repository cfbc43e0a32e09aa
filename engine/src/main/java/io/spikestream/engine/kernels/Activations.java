package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise activations of the gla_swa architecture. */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Relative distance the fast log-sigmoid is trusted to (2^-40: ~400 times its error bound). */
    private static final double MARGIN = 0x1p-40;

    private Activations() {
    }

    /**
     * SwiGLU on elements [from, to): {@code gate[i] = silu(gate[i]) * up[i]} with silu(z) = z / (1 + e^-z), shared
     * among threads in parts of whole vectors (vector and scalar lanes give the same bits).
     */
    public static void siluMul(float[] gate, float[] up, int from, int to, Parallel parallel) {
        int vectors = (to - from + S.length() - 1) / S.length();
        parallel.forRange(vectors, 256,
                (v0, v1) -> siluMul(gate, up, from + v0 * S.length(), Math.min(to, from + v1 * S.length())));
    }

    private static void siluMul(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector silu = g.div(Exp.exp(g.neg()).add(1f));
            silu.mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (Exp.exp(-g) + 1f) * up[i];
        }
    }

    /** max(x, 0) on elements [from, to). */
    public static void relu(float[] x, int from, int to) {
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, i).max(0f).intoArray(x, i);
        }
        for (; i < to; i++) {
            x[i] = Math.max(x[i], 0f);
        }
    }

    /** {@code g[i] = logSigmoid(g[i]) / normalizer} on elements [from, to), shared among threads. */
    public static void logSigmoidScaled(float[] g, int from, int to, float normalizer, Parallel parallel) {
        parallel.forRange(to - from, 512, (i0, i1) -> {
            for (int i = from + i0; i < from + i1; i++) {
                g[i] = logSigmoid(g[i]) / normalizer;
            }
        });
    }

    /**
     * log(sigmoid(x)) rounded to float: the bits of {@link #logSigmoidStrict(float)}, computed with the faster
     * {@code Math.exp} and {@code Math.log} (intrinsics, each within 1 ulp, so within ~2e-15 of StrictMath's
     * double result; log1p by Goldberg's {@code log(1+e)·e/((1+e)−1)}). When every double within
     * {@link #MARGIN} of the fast result rounds to one float, that float is StrictMath's; otherwise (near a
     * rounding boundary — 11,038 of the 2^32 floats — and for NaN and infinities) StrictMath decides.
     */
    public static float logSigmoid(float x) {
        double v = x;
        double e = Math.exp(-Math.abs(v));
        double u = 1.0 + e;
        double log1p = u == 1.0 ? e : Math.log(u) * e / (u - 1.0);
        double r = v >= 0 ? -log1p : v - log1p;
        double margin = Math.abs(r) * MARGIN;
        float f = (float) r;
        if ((float) (r - margin) == f && (float) (r + margin) == f) {
            return f;
        }
        return logSigmoidStrict(x);
    }

    /** log(sigmoid(x)) without overflow, in double with StrictMath (deterministic everywhere): the definition. */
    public static float logSigmoidStrict(float x) {
        double v = x;
        double r = v >= 0 ? -StrictMath.log1p(StrictMath.exp(-v)) : v - StrictMath.log1p(StrictMath.exp(v));
        return (float) r;
    }

    /** σ(x) = 1 / (1 + e^−x) with {@link Exp}: the same bits on every tier. */
    public static float sigmoid(float x) {
        return 1f / (Exp.exp(-x) + 1f);
    }

    /** {@code x[i] = σ(x[i])} on elements [from, to). */
    public static void sigmoid(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = sigmoid(x[i]);
        }
    }

    /**
     * A key gate tied to the key: {@code logDecay[i] = log(1 − σ(z[i]))} (as log σ(−z), exact for large z where
     * 1 − σ(z) rounds to 0) and {@code z[i] = σ(z[i])}, on elements [from, to).
     */
    public static void sigmoidAndLogComplement(float[] z, float[] logDecay, int from, int to) {
        for (int i = from; i < to; i++) {
            logDecay[i] = logSigmoid(-z[i]);
            z[i] = sigmoid(z[i]);
        }
    }
}
