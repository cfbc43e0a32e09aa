package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise activations of the gla_swa architecture. */
public final class Activations {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Activations() {
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]} with silu(z) = z / (1 + e^-z). */
    public static void siluMul(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
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

    /** log(sigmoid(x)) without overflow, in double with StrictMath (deterministic everywhere). */
    public static float logSigmoid(float x) {
        double v = x;
        double r = v >= 0 ? -StrictMath.log1p(StrictMath.exp(-v)) : v - StrictMath.log1p(StrictMath.exp(v));
        return (float) r;
    }
}
