package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;

/**
 * The GLA token mixer for training: forward over a sequence from an empty state, keeping what the backward
 * pass needs (every state S_t), and the backward pass through the recurrence (reverse-mode over time).
 * The recurrence S_t = diag(e^{g_t}) S_{t−1} + k_t v_tᵀ computes the same function as the chunked form the engine
 * runs; in float64 the difference is rounding only.
 */
final class GlaMixer {
    private final Configuration c;
    private final Parameters p;
    private final String prefix;

    GlaMixer(Configuration c, Parameters p, int layer) {
        this.c = c;
        this.p = p;
        this.prefix = "model.layers." + layer + ".attn.";
    }

    final class Cache {
        final double[] a, qPre, kPre, q, k, v, z1, z, g, states, o, on, inv;
        final int t;

        Cache(double[] a, int t, double[] qPre, double[] kPre, double[] q, double[] k, double[] v, double[] z1, double[] z, double[] g,
                double[] states, double[] o, double[] on, double[] inv) {
            this.a = a;
            this.t = t;
            this.qPre = qPre;
            this.kPre = kPre;
            this.q = q;
            this.k = k;
            this.v = v;
            this.z1 = z1;
            this.z = z;
            this.g = g;
            this.states = states;
            this.o = o;
            this.on = on;
            this.inv = inv;
        }
    }

    Cache forward(double[] a, int t) {
        int h = c.hiddenSize();
        int d = c.headDim();
        int nh = c.numHeads();
        int kvh = c.numKvHeads();
        int groups = nh / kvh;
        int rank = c.gateLowRankDim();
        double[] qPre = Linear.forward(a, t, h, p.value(prefix + "q_proj.weight"), p.value(prefix + "q_proj.bias"), nh * d);
        double[] kPre = Linear.forward(a, t, h, p.value(prefix + "k_proj.weight"), p.value(prefix + "k_proj.bias"), kvh * d);
        double[] v = Linear.forward(a, t, h, p.value(prefix + "v_proj.weight"), p.value(prefix + "v_proj.bias"), kvh * d);
        double[] q = relu(qPre);
        double[] k = relu(kPre);
        double[] z1 = Linear.forward(a, t, h, p.value(prefix + "gk_proj.0.weight"), null, rank);
        double[] z = Linear.forward(z1, t, rank, p.value(prefix + "gk_proj.1.weight"), p.value(prefix + "gk_proj.1.bias"), kvh * d);
        double[] g = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            g[i] = logSigmoid(z[i]) / c.gateLogitNormalizer();
        }
        double scale = 1 / Math.sqrt(d);
        double[] states = new double[t * kvh * d * d];
        double[] o = new double[t * nh * d];
        double[] s = new double[kvh * d * d];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < kvh; j++) {
                for (int key = 0; key < d; key++) {
                    double decay = Math.exp(g[i * kvh * d + j * d + key]);
                    double kk = k[i * kvh * d + j * d + key];
                    int row = j * d * d + key * d;
                    for (int val = 0; val < d; val++) {
                        s[row + val] = decay * s[row + val] + kk * v[i * kvh * d + j * d + val];
                    }
                }
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int key = 0; key < d; key++) {
                        double qq = q[i * nh * d + hq * d + key] * scale;
                        int row = j * d * d + key * d;
                        for (int val = 0; val < d; val++) {
                            o[i * nh * d + hq * d + val] += qq * s[row + val];
                        }
                    }
                }
            }
            System.arraycopy(s, 0, states, i * kvh * d * d, s.length);
        }
        double[] inv = new double[t * nh];
        double[] on = RmsNormLayer.forward(o, d, p.value(prefix + "g_norm.weight"), c.normEps(), inv);
        return new Cache(a, t, qPre, kPre, q, k, v, z1, z, g, states, o, on, inv);
    }

    double[] output(Cache cache) {
        return Linear.forward(cache.on, cache.t, c.numHeads() * c.headDim(), p.value(prefix + "o_proj.weight"), null, c.hiddenSize());
    }

    /** Accumulates parameter gradients; returns d(a). */
    double[] backward(Cache x, double[] dOut) {
        int h = c.hiddenSize();
        int d = c.headDim();
        int nh = c.numHeads();
        int kvh = c.numKvHeads();
        int groups = nh / kvh;
        int rank = c.gateLowRankDim();
        int t = x.t;
        double scale = 1 / Math.sqrt(d);
        double[] dOn = Linear.backward(dOut, x.on, t, nh * d, p.value(prefix + "o_proj.weight"), h, p.grad(prefix + "o_proj.weight"), null);
        double[] dO = RmsNormLayer.backward(dOn, x.o, d, p.value(prefix + "g_norm.weight"), x.inv, p.grad(prefix + "g_norm.weight"));
        double[] dq = new double[x.q.length];
        double[] dk = new double[x.k.length];
        double[] dv = new double[x.v.length];
        double[] dg = new double[x.g.length];
        double[] dS = new double[kvh * d * d];
        for (int i = t - 1; i >= 0; i--) {
            int st = i * kvh * d * d;
            for (int j = 0; j < kvh; j++) {
                // contributions of the reads o_{h,i} = q̂ᵀ S_i
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int key = 0; key < d; key++) {
                        double qq = x.q[i * nh * d + hq * d + key] * scale;
                        int row = j * d * d + key * d;
                        double acc = 0;
                        for (int val = 0; val < d; val++) {
                            double go = dO[i * nh * d + hq * d + val];
                            dS[row + val] += qq * go;
                            acc += x.states[st + row + val] * go;
                        }
                        dq[i * nh * d + hq * d + key] += acc * scale;
                    }
                }
                // S_i = diag(e^{g_i}) S_{i−1} + k_i v_iᵀ
                for (int key = 0; key < d; key++) {
                    int gi = i * kvh * d + j * d + key;
                    double decay = Math.exp(x.g[gi]);
                    int row = j * d * d + key * d;
                    double dkAcc = 0;
                    double daAcc = 0;
                    for (int val = 0; val < d; val++) {
                        double ds = dS[row + val];
                        dkAcc += ds * x.v[i * kvh * d + j * d + val];
                        dv[i * kvh * d + j * d + val] += ds * x.k[gi];
                        if (i > 0) {
                            daAcc += ds * x.states[st - kvh * d * d + row + val];
                        }
                        dS[row + val] = decay * ds;
                    }
                    dk[gi] += dkAcc;
                    dg[gi] = daAcc * decay;
                }
            }
        }
        double[] dz = new double[x.z.length];
        for (int i = 0; i < dz.length; i++) {
            dz[i] = dg[i] / c.gateLogitNormalizer() * sigmoid(-x.z[i]);
        }
        double[] dz1 = Linear.backward(dz, x.z1, t, rank, p.value(prefix + "gk_proj.1.weight"), kvh * d,
                p.grad(prefix + "gk_proj.1.weight"), p.grad(prefix + "gk_proj.1.bias"));
        double[] da = Linear.backward(dz1, x.a, t, h, p.value(prefix + "gk_proj.0.weight"), rank, p.grad(prefix + "gk_proj.0.weight"), null);
        reluBackward(dq, x.qPre);
        reluBackward(dk, x.kPre);
        add(da, Linear.backward(dq, x.a, t, h, p.value(prefix + "q_proj.weight"), nh * d, p.grad(prefix + "q_proj.weight"),
                p.grad(prefix + "q_proj.bias")));
        add(da, Linear.backward(dk, x.a, t, h, p.value(prefix + "k_proj.weight"), kvh * d, p.grad(prefix + "k_proj.weight"),
                p.grad(prefix + "k_proj.bias")));
        add(da, Linear.backward(dv, x.a, t, h, p.value(prefix + "v_proj.weight"), kvh * d, p.grad(prefix + "v_proj.weight"),
                p.grad(prefix + "v_proj.bias")));
        return da;
    }

    static double[] relu(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.max(0, x[i]);
        }
        return y;
    }

    static void reluBackward(double[] dy, double[] pre) {
        for (int i = 0; i < dy.length; i++) {
            if (pre[i] <= 0) {
                dy[i] = 0;
            }
        }
    }

    static double logSigmoid(double z) {
        return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    static void add(double[] into, double[] x) {
        for (int i = 0; i < into.length; i++) {
            into[i] += x[i];
        }
    }
}
