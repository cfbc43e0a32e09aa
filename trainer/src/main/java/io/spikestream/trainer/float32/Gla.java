package io.spikestream.trainer.float32;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.model.Configuration;
import io.spikestream.trainer.model.Sigmoid;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GLA token mixer in float32, chunked as the float64 reference (io.spikestream.trainer.model.GlaMixer):
 * within a chunk of 16 positions with cumulative log decays b, A[t][s] = Σ_key q̂_t k_s e^{min(b_t − b_s, 0)}
 * (s ≤ t), o_t = Σ_s A[t][s] v_s + (q̂_t ⊙ e^{b_t})ᵀ S_prev, and S_next = e^{b_last} ⊙ S_prev + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s.
 * Vector lanes run over the 16 positions of a chunk (the pairwise decays, the scores and their gradients) or
 * over a head's value features (read-outs, state updates), so nothing needs a horizontal sum except one per
 * query position and key feature in the backward pass, taken by the engine's fixed {@link Dot} tree.
 */
public final class Gla {
    /** Positions per chunk, as in the float64 reference. */
    public static final int C = 16;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.length() <= C ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
    private static final int L = S.length();
    /** CAUSAL[t·C + s] = 1 where s ≤ t. */
    private static final float[] CAUSAL = new float[C * C];

    static {
        for (int t = 0; t < C; t++) {
            for (int s = 0; s <= t; s++) {
                CAUSAL[t * C + s] = 1;
            }
        }
    }

    private final Configuration c;
    private final Weights w;
    private final String prefix;
    // parameter indices, resolved once
    private final int qW, qB, kW, kB, vW, vB, oW, gk0W, gk1W, gk1B, gnormW;
    private final int h, d, nh, kvh, groups, rank;
    private final float scale;
    // per chunk and kv head: b as [key][s] and [s][key], e^b, k as [key][s], the pairwise decays E and k ⊙ E
    private final float[] bT, bR, eR, kT, e, ke;

    public Gla(Configuration c, Weights w, int layer) {
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
        gk0W = w.index(prefix + "gk_proj.0.weight");
        gk1W = w.index(prefix + "gk_proj.1.weight");
        gk1B = w.index(prefix + "gk_proj.1.bias");
        gnormW = w.index(prefix + "g_norm.weight");
        h = c.hiddenSize();
        d = c.headDim();
        nh = c.numHeads();
        kvh = c.numKvHeads();
        groups = nh / kvh;
        rank = c.gateLowRankDim();
        scale = (float) (1 / Math.sqrt(d));
        bT = new float[d * C];
        bR = new float[C * d];
        eR = new float[C * d];
        kT = new float[d * C];
        e = new float[C * d * C];
        ke = new float[C * d * C];
    }

    public static final class Cache {
        final float[] a, qPre, kPre, q, k, v, z1, z, g, states, o, on, inv;
        final int t;

        Cache(float[] a, int t, float[] qPre, float[] kPre, float[] q, float[] k, float[] v, float[] z1, float[] z, float[] g, float[] states,
                float[] o, float[] on, float[] inv) {
            this.g = g;
            this.a = a;
            this.t = t;
            this.qPre = qPre;
            this.kPre = kPre;
            this.q = q;
            this.k = k;
            this.v = v;
            this.z1 = z1;
            this.z = z;
            this.states = states;
            this.o = o;
            this.on = on;
            this.inv = inv;
        }
    }

    public Cache forward(float[] a, int t) {
        float[] qPre = Dense.forward(a, t, h, w.transposed(qW), w.value(qB), nh * d);
        float[] kPre = Dense.forward(a, t, h, w.transposed(kW), w.value(kB), kvh * d);
        float[] v = Dense.forward(a, t, h, w.transposed(vW), w.value(vB), kvh * d);
        float[] q = Activation.relu(qPre);
        float[] k = Activation.relu(kPre);
        float[] z1 = Dense.forward(a, t, h, w.transposed(gk0W), null, rank);
        float[] z = Dense.forward(z1, t, rank, w.transposed(gk1W), w.value(gk1B), kvh * d);
        float[] g = gate(z);
        int chunks = (t + C - 1) / C;
        float[] states = new float[chunks * kvh * d * d];
        float[] o = new float[t * nh * d];
        float[] s = new float[kvh * d * d];
        float[] qs = new float[d];
        float[] row = new float[C];
        for (int ch = 0; ch < chunks; ch++) {
            int c0 = ch * C;
            int n = Math.min(C, t - c0);
            System.arraycopy(s, 0, states, ch * kvh * d * d, s.length);
            for (int j = 0; j < kvh; j++) {
                prepare(g, k, c0, n, j);
                int sj = j * d * d;
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int ti = 0; ti < n; ti++) {
                        int qo = (c0 + ti) * nh * d + hq * d;
                        scaledQuery(q, qo, qs);
                        scores(qs, ti, row);
                        for (int si = 0; si <= ti; si++) {
                            Axpy.fma(row[si], v, (c0 + si) * kvh * d + j * d, o, qo, d);
                        }
                        for (int key = 0; key < d; key++) {
                            Axpy.fma(qs[key] * eR[ti * d + key], s, sj + key * d, o, qo, d);
                        }
                    }
                }
                int last = n - 1;
                for (int key = 0; key < d; key++) {
                    Axpy.scale(eR[last * d + key], s, sj + key * d, d);
                    for (int si = 0; si < n; si++) {
                        Axpy.fma(ke[(last * d + key) * C + si], v, (c0 + si) * kvh * d + j * d, s, sj + key * d, d);
                    }
                }
            }
        }
        float[] inv = new float[t * nh];
        float[] on = Norm.forward(o, d, w.value(gnormW), c.normEps(), inv);
        return new Cache(a, t, qPre, kPre, q, k, v, z1, z, g, states, o, on, inv);
    }

    public float[] output(Cache x) {
        return Dense.forward(x.on, x.t, nh * d, w.transposed(oW), null, h);
    }

    /** Accumulates parameter gradients into {@code gr}; returns d(a). */
    public float[] backward(Cache x, float[] dOut, Gradients gr) {
        int t = x.t;
        float[] dOn = Dense.backward(dOut, x.on, t, nh * d, w.value(oW), h, gr.grad(oW), null);
        float[] dO = Norm.backward(dOn, x.o, d, w.value(gnormW), x.inv, gr.grad(gnormW));
        float[] g = x.g;
        float[] dq = new float[x.q.length];
        float[] dk = new float[x.k.length];
        float[] dv = new float[x.v.length];
        float[] dg = new float[g.length];
        float[] dS = new float[kvh * d * d];
        float[] vT = new float[d * C];
        float[] dA = new float[C];
        float[] row = new float[C];
        float[] dkT = new float[d * C];
        float[] dbT = new float[d * C];
        float[] dbR = new float[C * d];
        float[] qs = new float[d];
        float[] dqs = new float[d];
        float[] sdo = new float[d];
        float[] dsv = new float[d];
        float[] dPrev = new float[d * d];
        int chunks = (t + C - 1) / C;
        for (int ch = chunks - 1; ch >= 0; ch--) {
            int c0 = ch * C;
            int n = Math.min(C, t - c0);
            int sp = ch * kvh * d * d;
            for (int j = 0; j < kvh; j++) {
                prepare(g, x.k, c0, n, j);
                java.util.Arrays.fill(vT, 0);
                for (int si = 0; si < n; si++) {
                    for (int val = 0; val < d; val++) {
                        vT[val * C + si] = x.v[(c0 + si) * kvh * d + j * d + val];
                    }
                }
                java.util.Arrays.fill(dkT, 0);
                java.util.Arrays.fill(dbT, 0);
                java.util.Arrays.fill(dbR, 0);
                java.util.Arrays.fill(dPrev, 0);
                int sj = j * d * d;
                float[] s0T = Gemm.transpose(x.states, sp + sj, d, d, d);
                for (int hq = j * groups; hq < (j + 1) * groups; hq++) {
                    for (int ti = 0; ti < n; ti++) {
                        int qo = (c0 + ti) * nh * d + hq * d;
                        scaledQuery(x.q, qo, qs);
                        java.util.Arrays.fill(dqs, 0);
                        // dA[s] = dO_t · v_s, lanes over s
                        for (int s0 = 0; s0 < C; s0 += L) {
                            FloatVector acc = FloatVector.zero(S);
                            for (int val = 0; val < d; val++) {
                                acc = FloatVector.fromArray(S, vT, val * C + s0).fma(FloatVector.broadcast(S, dO[qo + val]), acc);
                            }
                            acc.intoArray(dA, s0);
                        }
                        scores(qs, ti, row);
                        for (int si = 0; si <= ti; si++) {
                            Axpy.fma(row[si], dO, qo, dv, (c0 + si) * kvh * d + j * d, d);
                        }
                        for (int key = 0; key < d; key++) {
                            int base = (ti * d + key) * C;
                            float qk = qs[key];
                            for (int s0 = 0; s0 < C; s0 += L) {
                                FloatVector da = FloatVector.fromArray(S, dA, s0);
                                FloatVector wv = da.mul(FloatVector.fromArray(S, e, base + s0));
                                wv.fma(FloatVector.broadcast(S, qk), FloatVector.fromArray(S, dkT, key * C + s0)).intoArray(dkT, key * C + s0);
                                da.mul(FloatVector.fromArray(S, ke, base + s0)).fma(FloatVector.broadcast(S, -qk), FloatVector.fromArray(S, dbT, key * C + s0))
                                        .intoArray(dbT, key * C + s0);
                            }
                            float r = Dot.dot(dA, 0, ke, base, C);
                            dqs[key] += r;
                            dbR[ti * d + key] += qk * r;
                        }
                        // the carried state: sdo = S_prev · dO_t, lanes over keys
                        java.util.Arrays.fill(sdo, 0);
                        for (int val = 0; val < d; val++) {
                            Axpy.fma(dO[qo + val], s0T, val * d, sdo, 0, d);
                        }
                        for (int key = 0; key < d; key++) {
                            float ek = eR[ti * d + key];
                            dqs[key] += ek * sdo[key];
                            dbR[ti * d + key] += qs[key] * ek * sdo[key];
                            Axpy.fma(qs[key] * ek, dO, qo, dPrev, key * d, d);
                        }
                        for (int key = 0; key < d; key++) {
                            dq[qo + key] += dqs[key] * scale;
                        }
                    }
                }
                // through S_next = e^{b_last} ⊙ S_prev + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s
                int last = n - 1;
                for (int key = 0; key < d; key++) {
                    float keep = eR[last * d + key];
                    Axpy.fma(keep, dS, sj + key * d, dPrev, key * d, d);
                    dbR[last * d + key] += keep * Dot.dot(dS, sj + key * d, x.states, sp + sj + key * d, d);
                }
                float[] dST = Gemm.transpose(dS, sj, d, d, d);
                for (int si = 0; si < n; si++) {
                    int vo = (c0 + si) * kvh * d + j * d;
                    java.util.Arrays.fill(dsv, 0);
                    for (int val = 0; val < d; val++) {
                        Axpy.fma(x.v[vo + val], dST, val * d, dsv, 0, d);
                    }
                    for (int key = 0; key < d; key++) {
                        int at = (last * d + key) * C + si;
                        dk[vo + key] += dsv[key] * e[at];
                        float term = dsv[key] * ke[at];
                        dbR[last * d + key] += term;
                        dbR[si * d + key] -= term;
                        Axpy.fma(ke[at], dS, sj + key * d, dv, vo, d);
                    }
                }
                for (int si = 0; si < n; si++) {
                    int vo = (c0 + si) * kvh * d + j * d;
                    for (int key = 0; key < d; key++) {
                        dk[vo + key] += dkT[key * C + si];
                        dbR[si * d + key] += dbT[key * C + si];
                    }
                }
                // b_t = Σ_{u ≤ t} g_u within the chunk: dg_u = Σ_{t ≥ u} db_t
                for (int key = 0; key < d; key++) {
                    float run = 0;
                    for (int ti = n - 1; ti >= 0; ti--) {
                        run += dbR[ti * d + key];
                        dg[(c0 + ti) * kvh * d + j * d + key] = run;
                    }
                }
                System.arraycopy(dPrev, 0, dS, sj, d * d);
            }
        }
        float[] dz = new float[x.z.length];
        double norm = c.gateLogitNormalizer();
        for (int i = 0; i < dz.length; i++) {
            dz[i] = (float) (dg[i] / norm * Sigmoid.sigmoid(-x.z[i]));
        }
        float[] da = new float[t * h];
        float[] dz1 = Dense.backward(dz, x.z1, t, rank, w.value(gk1W), kvh * d, gr.grad(gk1W),
                gr.grad(gk1B));
        Dense.backward(dz1, x.a, t, h, w.value(gk0W), rank, gr.grad(gk0W), null, da);
        Activation.reluBackward(dq, x.qPre);
        Activation.reluBackward(dk, x.kPre);
        Dense.backward(dq, x.a, t, h, w.value(qW), nh * d, gr.grad(qW), gr.grad(qB), da);
        Dense.backward(dk, x.a, t, h, w.value(kW), kvh * d, gr.grad(kW), gr.grad(kB), da);
        Dense.backward(dv, x.a, t, h, w.value(vW), kvh * d, gr.grad(vW), gr.grad(vB), da);
        return da;
    }

    /** g = log σ(z) / normalizer, in double then rounded (few values: 2·d per token and layer). */
    private float[] gate(float[] z) {
        float[] g = new float[z.length];
        double norm = c.gateLogitNormalizer();
        for (int i = 0; i < z.length; i++) {
            g[i] = (float) (Sigmoid.logSigmoid(z[i]) / norm);
        }
        return g;
    }

    private void scaledQuery(float[] q, int qo, float[] qs) {
        for (int key = 0; key < d; key++) {
            qs[key] = q[qo + key] * scale;
        }
    }

    /** row[s] = A[t][s] = Σ_key q̂[key]·(k ⊙ E)[t][key][s], lanes over s (0 for s > t). */
    private void scores(float[] qs, int ti, float[] row) {
        for (int s0 = 0; s0 < C; s0 += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int key = 0; key < d; key++) {
                acc = FloatVector.fromArray(S, ke, (ti * d + key) * C + s0).fma(FloatVector.broadcast(S, qs[key]), acc);
            }
            acc.intoArray(row, s0);
        }
    }

    /** Cumulative decays, e^b, k transposed and the pairwise decays of chunk [c0, c0+n) for kv head j. */
    private void prepare(float[] g, float[] k, int c0, int n, int j) {
        java.util.Arrays.fill(bT, 0);
        java.util.Arrays.fill(kT, 0);
        for (int key = 0; key < d; key++) {
            float run = 0;
            for (int i = 0; i < n; i++) {
                int at = (c0 + i) * kvh * d + j * d + key;
                run += g[at];
                bT[key * C + i] = run;
                bR[i * d + key] = run;
                kT[key * C + i] = k[at];
            }
        }
        Exp.exp(bR, 0, eR, 0, n * d);
        for (int ti = 0; ti < n; ti++) {
            for (int key = 0; key < d; key++) {
                float bt = bT[key * C + ti];
                int base = (ti * d + key) * C;
                for (int s0 = 0; s0 < C; s0 += L) {
                    FloatVector ev = Exp.exp(FloatVector.broadcast(S, bt).sub(FloatVector.fromArray(S, bT, key * C + s0)).min(0f))
                            .mul(FloatVector.fromArray(S, CAUSAL, ti * C + s0));
                    ev.intoArray(e, base + s0);
                    ev.mul(FloatVector.fromArray(S, kT, key * C + s0)).intoArray(ke, base + s0);
                }
            }
        }
    }
}
