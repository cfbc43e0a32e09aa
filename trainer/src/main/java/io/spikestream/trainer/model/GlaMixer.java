package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;

/**
 * The GLA token mixer for training in its chunked form (REFERENCE.md, fla's chunk_gla): within a chunk of 16
 * positions with cumulative log decays b_t, o_t = (q̂_t ⊙ e^{b_t})ᵀ S_prev + Σ_{s≤t} ((q̂_t ⊙ e^{b_t − b_s})·k_s) v_s
 * and S_next = e^{b_last} ⊙ S_prev + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s; every exponent is ≤ 0. Only the state at each
 * chunk start is kept for the backward pass, which runs chunk by chunk in reverse, carrying d(loss)/dS.
 */
final class GlaMixer {
    /** Positions per chunk of the chunked form, aligned to the sequence start like the engine's blocks. */
    static final int CHUNK = 16;

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
            g[i] = Sigmoid.logSigmoid(z[i]) / c.gateLogitNormalizer();
        }
        double scale = 1 / Math.sqrt(d);
        int chunks = (t + CHUNK - 1) / CHUNK;
        double[] states = new double[chunks * kvh * d * d]; // the state at each chunk's start
        double[] o = new double[t * nh * d];
        double[] s = new double[kvh * d * d];
        double[] b = new double[CHUNK * d];
        for (int ch = 0; ch < chunks; ch++) {
            int c0 = ch * CHUNK;
            int n = Math.min(CHUNK, t - c0);
            System.arraycopy(s, 0, states, ch * kvh * d * d, s.length);
            for (int j = 0; j < kvh; j++) {
                cumulativeDecay(g, c0, n, j, b);
                int sj = j * d * d;
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int ti = 0; ti < n; ti++) {
                        int qo = (c0 + ti) * nh * d + hq * d;
                        int oo = qo;
                        // inter-chunk: (q̂_t ⊙ e^{b_t})ᵀ S_prev
                        for (int key = 0; key < d; key++) {
                            double qk = q[qo + key] * scale * Math.exp(b[ti * d + key]);
                            for (int val = 0; val < d; val++) {
                                o[oo + val] += qk * s[sj + key * d + val];
                            }
                        }
                        // intra-chunk: Σ_{s≤t} ((q̂_t ⊙ e^{b_t − b_s})·k_s) v_s
                        for (int si = 0; si <= ti; si++) {
                            double score = 0;
                            int ko = (c0 + si) * kvh * d + j * d;
                            for (int key = 0; key < d; key++) {
                                score += q[qo + key] * scale * k[ko + key] * Math.exp(b[ti * d + key] - b[si * d + key]);
                            }
                            for (int val = 0; val < d; val++) {
                                o[oo + val] += score * v[ko + val];
                            }
                        }
                    }
                }
                // S_next = e^{b_last} ⊙ S_prev + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s
                int last = (n - 1) * d;
                for (int key = 0; key < d; key++) {
                    double keep = Math.exp(b[last + key]);
                    for (int val = 0; val < d; val++) {
                        s[sj + key * d + val] *= keep;
                    }
                    for (int si = 0; si < n; si++) {
                        int ko = (c0 + si) * kvh * d + j * d;
                        double kk = k[ko + key] * Math.exp(b[last + key] - b[si * d + key]);
                        for (int val = 0; val < d; val++) {
                            s[sj + key * d + val] += kk * v[ko + val];
                        }
                    }
                }
            }
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
        double[] dS = new double[kvh * d * d]; // d(loss)/d(state at the end of the current chunk)
        double[] b = new double[CHUNK * d];
        double[] db = new double[CHUNK * d];
        double[] dA = new double[CHUNK * CHUNK];
        int chunks = (t + CHUNK - 1) / CHUNK;
        for (int ch = chunks - 1; ch >= 0; ch--) {
            int c0 = ch * CHUNK;
            int n = Math.min(CHUNK, t - c0);
            int sp = ch * kvh * d * d; // S_prev of this chunk
            for (int j = 0; j < kvh; j++) {
                cumulativeDecay(x.g, c0, n, j, b);
                java.util.Arrays.fill(db, 0);
                int sj = j * d * d;
                int last = (n - 1) * d;
                double[] dPrev = new double[d * d];
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int ti = 0; ti < n; ti++) {
                        int qo = (c0 + ti) * nh * d + hq * d;
                        for (int si = 0; si <= ti; si++) {
                            int vo = (c0 + si) * kvh * d + j * d;
                            double acc = 0;
                            for (int val = 0; val < d; val++) {
                                acc += dO[qo + val] * x.v[vo + val];
                            }
                            dA[ti * CHUNK + si] = acc;
                        }
                        for (int key = 0; key < d; key++) {
                            double e = Math.exp(b[ti * d + key]);
                            double qs = x.q[qo + key] * scale;
                            double sdo = 0;
                            for (int val = 0; val < d; val++) {
                                sdo += x.states[sp + sj + key * d + val] * dO[qo + val];
                                dPrev[key * d + val] += qs * e * dO[qo + val];
                            }
                            double dqs = e * sdo;
                            db[ti * d + key] += qs * e * sdo;
                            for (int si = 0; si <= ti; si++) {
                                int ko = (c0 + si) * kvh * d + j * d;
                                double w = dA[ti * CHUNK + si] * Math.exp(b[ti * d + key] - b[si * d + key]);
                                dqs += w * x.k[ko + key];
                                dk[ko + key] += w * qs;
                                double term = w * qs * x.k[ko + key];
                                db[ti * d + key] += term;
                                db[si * d + key] -= term;
                            }
                            dq[qo + key] += dqs * scale;
                        }
                        // dv_s += A_ts dO_t
                        for (int si = 0; si <= ti; si++) {
                            int ko = (c0 + si) * kvh * d + j * d;
                            double a = 0;
                            for (int key = 0; key < d; key++) {
                                a += x.q[qo + key] * scale * x.k[ko + key] * Math.exp(b[ti * d + key] - b[si * d + key]);
                            }
                            for (int val = 0; val < d; val++) {
                                dv[ko + val] += a * dO[qo + val];
                            }
                        }
                    }
                }
                // through S_next = e^{b_last} ⊙ S_prev + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s
                for (int key = 0; key < d; key++) {
                    double keep = Math.exp(b[last + key]);
                    double dbLast = 0;
                    for (int val = 0; val < d; val++) {
                        double dsn = dS[sj + key * d + val];
                        dPrev[key * d + val] += keep * dsn;
                        dbLast += dsn * keep * x.states[sp + sj + key * d + val];
                    }
                    for (int si = 0; si < n; si++) {
                        int ko = (c0 + si) * kvh * d + j * d;
                        double e = Math.exp(b[last + key] - b[si * d + key]);
                        double dsv = 0;
                        for (int val = 0; val < d; val++) {
                            double dsn = dS[sj + key * d + val];
                            dsv += dsn * x.v[ko + val];
                            dv[ko + val] += dsn * x.k[ko + key] * e;
                        }
                        dk[ko + key] += dsv * e;
                        double term = dsv * x.k[ko + key] * e;
                        dbLast += term;
                        db[si * d + key] -= term;
                    }
                    db[last + key] += dbLast;
                }
                // b_t = Σ_{u ≤ t} g_u within the chunk: dg_u = Σ_{t ≥ u} db_t
                for (int key = 0; key < d; key++) {
                    double run = 0;
                    for (int ti = n - 1; ti >= 0; ti--) {
                        run += db[ti * d + key];
                        dg[(c0 + ti) * kvh * d + j * d + key] = run;
                    }
                }
                System.arraycopy(dPrev, 0, dS, sj, d * d);
            }
        }
        double[] dz = new double[x.z.length];
        for (int i = 0; i < dz.length; i++) {
            dz[i] = dg[i] / c.gateLogitNormalizer() * Sigmoid.sigmoid(-x.z[i]);
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

    /** b[i·d + key] = Σ_{u=c0..c0+i} g_u[key] for kv head j: the cumulative log decay inside a chunk. */
    private void cumulativeDecay(double[] g, int c0, int n, int j, double[] b) {
        int d = c.headDim();
        int kvh = c.numKvHeads();
        for (int key = 0; key < d; key++) {
            double run = 0;
            for (int i = 0; i < n; i++) {
                run += g[(c0 + i) * kvh * d + j * d + key];
                b[i * d + key] = run;
            }
        }
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

    static void add(double[] into, double[] x) {
        for (int i = 0; i < into.length; i++) {
            into[i] += x[i];
        }
    }
}
