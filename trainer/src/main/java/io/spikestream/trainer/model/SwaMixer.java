package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;

/**
 * The sliding-window attention mixer for training: RoPE at absolute positions, grouped-query heads, each
 * query attending itself and the previous W tokens; forward with what the backward pass needs, and backward.
 */
final class SwaMixer {
    private final Configuration c;
    private final Parameters p;
    private final String prefix;
    private final double[] invFreq;

    SwaMixer(Configuration c, Parameters p, int layer) {
        this.c = c;
        this.p = p;
        this.prefix = "model.layers." + layer + ".attn.";
        int d = c.headDim();
        invFreq = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            invFreq[i] = Math.pow(c.ropeTheta(), -2.0 * i / d);
        }
    }

    record Cache(double[] a, int t, double[] q, double[] k, double[] v, double[] probs, double[] o) {
    }

    Cache forward(double[] a, int t) {
        int h = c.hiddenSize();
        int d = c.headDim();
        int nh = c.numHeads();
        int kvh = c.numKvHeads();
        int groups = nh / kvh;
        int w = c.slidingWindow();
        double[] q = Linear.forward(a, t, h, p.value(prefix + "q_proj.weight"), p.value(prefix + "q_proj.bias"), nh * d);
        double[] k = Linear.forward(a, t, h, p.value(prefix + "k_proj.weight"), p.value(prefix + "k_proj.bias"), kvh * d);
        double[] v = Linear.forward(a, t, h, p.value(prefix + "v_proj.weight"), p.value(prefix + "v_proj.bias"), kvh * d);
        rope(q, t, nh, false);
        rope(k, t, kvh, false);
        int span = w + 1;
        double[] probs = new double[t * nh * span];
        double[] o = new double[t * nh * d];
        double scale = 1 / Math.sqrt(d);
        for (int i = 0; i < t; i++) {
            int first = Math.max(0, i - w);
            for (int hq = 0; hq < nh; hq++) {
                int j = hq / groups;
                int base = (i * nh + hq) * span;
                double max = Double.NEGATIVE_INFINITY;
                for (int u = first; u <= i; u++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[i * nh * d + hq * d + e] * k[u * kvh * d + j * d + e];
                    }
                    probs[base + u - first] = s * scale;
                    max = Math.max(max, s * scale);
                }
                double z = 0;
                for (int u = first; u <= i; u++) {
                    double e = Math.exp(probs[base + u - first] - max);
                    probs[base + u - first] = e;
                    z += e;
                }
                for (int u = first; u <= i; u++) {
                    double pr = probs[base + u - first] / z;
                    probs[base + u - first] = pr;
                    for (int e = 0; e < d; e++) {
                        o[i * nh * d + hq * d + e] += pr * v[u * kvh * d + j * d + e];
                    }
                }
            }
        }
        return new Cache(a, t, q, k, v, probs, o);
    }

    double[] output(Cache x) {
        return Linear.forward(x.o(), x.t(), c.numHeads() * c.headDim(), p.value(prefix + "o_proj.weight"), null, c.hiddenSize());
    }

    double[] backward(Cache x, double[] dOut) {
        int h = c.hiddenSize();
        int d = c.headDim();
        int nh = c.numHeads();
        int kvh = c.numKvHeads();
        int groups = nh / kvh;
        int w = c.slidingWindow();
        int span = w + 1;
        int t = x.t();
        double scale = 1 / Math.sqrt(d);
        double[] dO = Linear.backward(dOut, x.o(), t, nh * d, p.value(prefix + "o_proj.weight"), h, p.grad(prefix + "o_proj.weight"), null);
        double[] dq = new double[x.q().length];
        double[] dk = new double[x.k().length];
        double[] dv = new double[x.v().length];
        double[] dp = new double[span];
        for (int i = 0; i < t; i++) {
            int first = Math.max(0, i - w);
            for (int hq = 0; hq < nh; hq++) {
                int j = hq / groups;
                int base = (i * nh + hq) * span;
                double dot = 0;
                for (int u = first; u <= i; u++) {
                    double pr = x.probs()[base + u - first];
                    double g = 0;
                    for (int e = 0; e < d; e++) {
                        double go = dO[i * nh * d + hq * d + e];
                        g += go * x.v()[u * kvh * d + j * d + e];
                        dv[u * kvh * d + j * d + e] += pr * go;
                    }
                    dp[u - first] = g;
                    dot += pr * g;
                }
                for (int u = first; u <= i; u++) {
                    double ds = x.probs()[base + u - first] * (dp[u - first] - dot) * scale;
                    for (int e = 0; e < d; e++) {
                        dq[i * nh * d + hq * d + e] += ds * x.k()[u * kvh * d + j * d + e];
                        dk[u * kvh * d + j * d + e] += ds * x.q()[i * nh * d + hq * d + e];
                    }
                }
            }
        }
        rope(dq, t, nh, true);
        rope(dk, t, kvh, true);
        double[] da = Linear.backward(dq, x.a(), t, h, p.value(prefix + "q_proj.weight"), nh * d, p.grad(prefix + "q_proj.weight"),
                p.grad(prefix + "q_proj.bias"));
        GlaMixer.add(da, Linear.backward(dk, x.a(), t, h, p.value(prefix + "k_proj.weight"), kvh * d, p.grad(prefix + "k_proj.weight"),
                p.grad(prefix + "k_proj.bias")));
        GlaMixer.add(da, Linear.backward(dv, x.a(), t, h, p.value(prefix + "v_proj.weight"), kvh * d, p.grad(prefix + "v_proj.weight"),
                p.grad(prefix + "v_proj.bias")));
        return da;
    }

    /** Rotate-half RoPE at positions 0..t−1 in place; {@code inverse} rotates back (the backward pass). */
    private void rope(double[] x, int t, int heads, boolean inverse) {
        int d = c.headDim();
        for (int i = 0; i < t; i++) {
            for (int hd = 0; hd < heads; hd++) {
                int b = (i * heads + hd) * d;
                for (int f = 0; f < d / 2; f++) {
                    double theta = i * invFreq[f];
                    double cos = Math.cos(theta);
                    double sin = inverse ? -Math.sin(theta) : Math.sin(theta);
                    double lo = x[b + f];
                    double hi = x[b + f + d / 2];
                    x[b + f] = lo * cos - hi * sin;
                    x[b + f + d / 2] = hi * cos + lo * sin;
                }
            }
        }
    }
}
