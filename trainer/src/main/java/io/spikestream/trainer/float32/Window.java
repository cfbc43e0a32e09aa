package io.spikestream.trainer.float32;

import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.model.Configuration;

/**
 * Sliding-window attention in float32 (RoPE at absolute positions, grouped-query heads, each query attending
 * itself and the previous W tokens), as the float64 reference io.spikestream.trainer.model.SwaMixer. Queries
 * go in blocks of 16 rows: a block's scores against the keys it can see, its softmax weights and every
 * gradient are {@link Gemm} products on that band, never the full t×t square.
 */
public final class Window {
    private static final int BLOCK = 16;

    private final Configuration c;
    private final Weights w;
    private final String prefix;
    // parameter indices, resolved once
    private final int qW, qB, kW, kB, vW, vB, oW;
    private final int h, d, nh, kvh, groups, window;
    private final float scale;
    private final double[] invFreq;

    public Window(Configuration c, Weights w, int layer) {
        this.c = c;
        this.w = w;
        this.prefix = "model.layers." + layer + ".attn.";
        qW = w.index(prefix + "q_proj.weight");
        qB = w.index(prefix + "q_proj.bias");
        kW = w.index(prefix + "k_proj.weight");
        kB = w.index(prefix + "k_proj.bias");
        vW = w.index(prefix + "v_proj.weight");
        vB = w.index(prefix + "v_proj.bias");
        oW = w.index(prefix + "o_proj.weight");
        h = c.hiddenSize();
        d = c.headDim();
        nh = c.numHeads();
        kvh = c.numKvHeads();
        groups = nh / kvh;
        window = c.slidingWindow();
        scale = (float) (1 / Math.sqrt(d));
        invFreq = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            invFreq[i] = Math.pow(c.ropeTheta(), -2.0 * i / d);
        }
    }

    /** probs[block·nh + head] holds that block's softmax weights, rows × (last key − first key + 1). */
    public record Cache(float[] a, int t, float[] q, float[] k, float[] v, float[][] probs, float[] o) {
    }

    /** Query block {@code bl}: rows [r0, r0 + rows) and the keys they can see, [k0, k0 + span). */
    private record Band(int r0, int rows, int k0, int span) {
    }

    private Band band(int bl, int t) {
        int r0 = bl * BLOCK;
        int rows = Math.min(BLOCK, t - r0);
        int k0 = Math.max(0, r0 - window);
        return new Band(r0, rows, k0, r0 + rows - k0);
    }

    public Cache forward(float[] a, int t) {
        float[] q = Dense.forward(a, t, h, w.transposed(qW), w.value(qB), nh * d);
        float[] k = Dense.forward(a, t, h, w.transposed(kW), w.value(kB), kvh * d);
        float[] v = Dense.forward(a, t, h, w.transposed(vW), w.value(vB), kvh * d);
        float[][] rope = ropeTables(t);
        rope(q, t, nh, rope, false);
        rope(k, t, kvh, rope, false);
        float[] kT = Gemm.transpose(k, 0, kvh * d, t, kvh * d); // [kvh·d][t]
        int blocks = (t + BLOCK - 1) / BLOCK;
        float[][] probs = new float[blocks * nh][];
        float[] o = new float[t * nh * d];
        for (int bl = 0; bl < blocks; bl++) {
            Band band = band(bl, t);
            int r0 = band.r0(), rows = band.rows(), k0 = band.k0(), span = band.span();
            for (int hq = 0; hq < nh; hq++) {
                int j = hq / groups;
                float[] p = new float[rows * span];
                Gemm.mulAdd(q, r0 * nh * d + hq * d, nh * d, kT, j * d * t + k0, t, p, 0, span, rows, d, span);
                for (int r = 0; r < rows; r++) {
                    int i = r0 + r;
                    int from = Math.max(0, i - window) - k0;
                    int to = i - k0; // inclusive
                    int ro = r * span;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int u = from; u <= to; u++) {
                        p[ro + u] *= scale;
                        max = Math.max(max, p[ro + u]);
                    }
                    for (int u = from; u <= to; u++) {
                        p[ro + u] -= max;
                    }
                    Exp.exp(p, ro + from, p, ro + from, to - from + 1);
                    float z = 0;
                    for (int u = from; u <= to; u++) {
                        z += p[ro + u];
                    }
                    float invZ = 1f / z;
                    java.util.Arrays.fill(p, ro, ro + from, 0f);
                    for (int u = from; u <= to; u++) {
                        p[ro + u] *= invZ;
                    }
                    java.util.Arrays.fill(p, ro + to + 1, ro + span, 0f);
                }
                probs[bl * nh + hq] = p;
                Gemm.mulAdd(p, 0, span, v, k0 * kvh * d + j * d, kvh * d, o, r0 * nh * d + hq * d, nh * d, rows, span, d);
            }
        }
        return new Cache(a, t, q, k, v, probs, o);
    }

    public float[] output(Cache x) {
        return Dense.forward(x.o(), x.t(), nh * d, w.transposed(oW), null, h);
    }

    public float[] backward(Cache x, float[] dOut, Gradients gr) {
        int t = x.t();
        float[] dO = Dense.backward(dOut, x.o(), t, nh * d, w.value(oW), h, gr.grad(oW), null);
        float[] dq = new float[x.q().length];
        float[] dk = new float[x.k().length];
        float[] dv = new float[x.v().length];
        float[] vT = Gemm.transpose(x.v(), 0, kvh * d, t, kvh * d);
        int blocks = (t + BLOCK - 1) / BLOCK;
        for (int bl = 0; bl < blocks; bl++) {
            Band band = band(bl, t);
            int r0 = band.r0(), rows = band.rows(), k0 = band.k0(), span = band.span();
            for (int hq = 0; hq < nh; hq++) {
                int j = hq / groups;
                float[] p = x.probs()[bl * nh + hq];
                int qo = r0 * nh * d + hq * d;
                int ko = k0 * kvh * d + j * d;
                float[] ds = new float[rows * span];
                Gemm.mulAdd(dO, qo, nh * d, vT, j * d * t + k0, t, ds, 0, span, rows, d, span); // dP
                for (int r = 0; r < rows; r++) {
                    int ro = r * span;
                    float dot = 0;
                    for (int u = 0; u < span; u++) {
                        dot += p[ro + u] * ds[ro + u];
                    }
                    for (int u = 0; u < span; u++) {
                        ds[ro + u] = p[ro + u] * (ds[ro + u] - dot) * scale;
                    }
                }
                Gemm.mulAdd(ds, 0, span, x.k(), ko, kvh * d, dq, qo, nh * d, rows, span, d);
                Gemm.mulAdd(ds, 0, 1, span, x.q(), qo, nh * d, dk, ko, kvh * d, span, rows, d); // dK += dSᵀ·Q
                Gemm.mulAdd(p, 0, 1, span, dO, qo, nh * d, dv, ko, kvh * d, span, rows, d); // dV += Pᵀ·dO
            }
        }
        float[][] rope = ropeTables(t);
        rope(dq, t, nh, rope, true);
        rope(dk, t, kvh, rope, true);
        float[] da = new float[t * h];
        Dense.backward(dq, x.a(), t, h, w.value(qW), nh * d, gr.grad(qW), gr.grad(qB), da);
        Dense.backward(dk, x.a(), t, h, w.value(kW), kvh * d, gr.grad(kW), gr.grad(kB), da);
        Dense.backward(dv, x.a(), t, h, w.value(vW), kvh * d, gr.grad(vW), gr.grad(vB), da);
        return da;
    }

    /** cos and sin of position·θ_f for positions 0..t−1, computed in double and rounded. */
    private float[][] ropeTables(int t) {
        int half = d / 2;
        float[] cos = new float[t * half];
        float[] sin = new float[t * half];
        for (int i = 0; i < t; i++) {
            for (int f = 0; f < half; f++) {
                double theta = i * invFreq[f];
                cos[i * half + f] = (float) Math.cos(theta);
                sin[i * half + f] = (float) Math.sin(theta);
            }
        }
        return new float[][] {cos, sin};
    }

    /** Rotate-half RoPE in place; {@code inverse} rotates back (the backward pass). */
    private void rope(float[] x, int t, int heads, float[][] tables, boolean inverse) {
        int half = d / 2;
        float[] cos = tables[0];
        float[] sin = tables[1];
        for (int i = 0; i < t; i++) {
            for (int hd = 0; hd < heads; hd++) {
                int b = (i * heads + hd) * d;
                for (int f = 0; f < half; f++) {
                    float cs = cos[i * half + f];
                    float sn = inverse ? -sin[i * half + f] : sin[i * half + f];
                    float lo = x[b + f];
                    float hi = x[b + f + half];
                    x[b + f] = lo * cs - hi * sn;
                    x[b + f + half] = hi * cs + lo * sn;
                }
            }
        }
    }
}
