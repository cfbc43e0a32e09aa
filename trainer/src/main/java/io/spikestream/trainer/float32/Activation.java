package io.spikestream.trainer.float32;

import io.spikestream.engine.kernels.Exp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The element-wise functions of the float32 passes: ReLU (GLA's q and k) and SwiGLU (the MLP). */
public final class Activation {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Activation() {
    }

    public static float[] relu(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.max(0f, x[i]);
        }
        return y;
    }

    public static void reluBackward(float[] dy, float[] pre) {
        for (int i = 0; i < dy.length; i++) {
            if (pre[i] <= 0) {
                dy[i] = 0;
            }
        }
    }

    /** σ(x) = 1 / (1 + e^−x) with the engine's exp (the same bits in lanes and tails). */
    static float sigmoid(float x) {
        return 1f / (1f + Exp.exp(-x));
    }

    /** act = silu(gate) ⊙ up. */
    public static float[] swiglu(float[] gate, float[] up) {
        float[] act = new float[gate.length];
        int i = 0;
        for (int bound = S.loopBound(gate.length); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector s = Exp.exp(g.neg()).add(1f);
            g.div(s).mul(FloatVector.fromArray(S, up, i)).intoArray(act, i);
        }
        for (; i < gate.length; i++) {
            act[i] = gate[i] / (1f + Exp.exp(-gate[i])) * up[i];
        }
        return act;
    }

    /** d(gate) and d(up) from d(act): dUp = dAct·silu(g), dGate = dAct·up·σ(g)·(1 + g·(1 − σ(g))). */
    public static void swigluBackward(float[] dAct, float[] gate, float[] up, float[] dGate, float[] dUp) {
        int i = 0;
        for (int bound = S.loopBound(gate.length); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector s = FloatVector.broadcast(S, 1f).div(Exp.exp(g.neg()).add(1f));
            FloatVector da = FloatVector.fromArray(S, dAct, i);
            da.mul(g.mul(s)).intoArray(dUp, i);
            da.mul(FloatVector.fromArray(S, up, i)).mul(s).mul(g.mul(s.neg().add(1f)).add(1f)).intoArray(dGate, i);
        }
        for (; i < gate.length; i++) {
            float s = 1f / (1f + Exp.exp(-gate[i]));
            dUp[i] = dAct[i] * (gate[i] * s);
            dGate[i] = dAct[i] * up[i] * s * (gate[i] * (1f - s) + 1f);
        }
    }
}
