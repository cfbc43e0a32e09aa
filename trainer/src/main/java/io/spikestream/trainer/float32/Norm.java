package io.spikestream.trainer.float32;

import io.spikestream.engine.kernels.Dot;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm over groups of n values in float32, y = x · r ⊙ w with r = 1/sqrt(mean(x²) + eps); and its
 * backward. Sums use the engine's {@link Dot} (a fixed lane tree), so every value has one set of bits.
 */
public final class Norm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Norm() {
    }

    /** Normalizes each of the {@code x.length / n} groups; {@code inv} receives r per group. */
    public static float[] forward(float[] x, int n, float[] w, double eps, float[] inv) {
        float[] y = new float[x.length];
        for (int g = 0; g < x.length / n; g++) {
            int o = g * n;
            float r = (float) (1 / Math.sqrt(Dot.dot(x, o, x, o, n) / n + eps));
            inv[g] = r;
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector.fromArray(S, x, o + i).mul(r).mul(FloatVector.fromArray(S, w, i)).intoArray(y, o + i);
            }
            for (; i < n; i++) {
                y[o + i] = x[o + i] * r * w[i];
            }
        }
        return y;
    }

    /** Accumulates dw and returns dx: dx = r·w⊙dy − x·(Σ w⊙dy⊙x)·r³/n. */
    public static float[] backward(float[] dy, float[] x, int n, float[] w, float[] inv, float[] dw) {
        float[] dx = new float[x.length];
        float[] u = new float[n];
        for (int g = 0; g < x.length / n; g++) {
            int o = g * n;
            float r = inv[g];
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector d = FloatVector.fromArray(S, dy, o + i);
                FloatVector xv = FloatVector.fromArray(S, x, o + i);
                FloatVector.fromArray(S, w, i).mul(d).intoArray(u, i);
                d.mul(xv).fma(FloatVector.broadcast(S, r), FloatVector.fromArray(S, dw, i)).intoArray(dw, i);
            }
            for (; i < n; i++) {
                u[i] = w[i] * dy[o + i];
                dw[i] = Math.fma(dy[o + i] * x[o + i], r, dw[i]);
            }
            float c = Dot.dot(u, 0, x, o, n) * r * r * r / n;
            i = 0;
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector.fromArray(S, u, i).mul(r).sub(FloatVector.fromArray(S, x, o + i).mul(c)).intoArray(dx, o + i);
            }
            for (; i < n; i++) {
                dx[o + i] = u[i] * r - x[o + i] * c;
            }
        }
        return dx;
    }
}
