package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.state.GlaState;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GLA token mixer in its chunked form, over blocks of {@link GlaState#BLOCK} positions aligned to the
 * document (REFERENCE.md, "Chunked form"). For token t at index i of its block, with cumulative log decays
 * b (per key channel, since the block start) and S0 the state at the block start:
 * <pre>
 *   o_t = (q̂_t ⊙ e^{b_i})ᵀ S0  +  Σ_{s≤i} (Σ_d q̂_t[d] k_s[d] e^{b_i[d] − b_s[d]}) v_s      (then RMSNorm(g_norm))
 *   at the block end:  S ← e^{b_last} ⊙ S0 + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s
 * </pre>
 * Every exponent is ≤ 0, so nothing overflows however strong the decay. A token in an open block reads
 * S0 plus the block's pending keys, so decoding one token at a time costs O(D² + BLOCK·D) per head and gives
 * exactly the bits of a long prefill. Key/value heads are independent and run in parallel.
 */
final class GatedLinearAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final boolean VECTOR = L >= 8;

    static {
        if (GlaState.BLOCK != Dot.LANES) { // the block's scores are one Dot.columns16 call
            throw new AssertionError("GLA block " + GlaState.BLOCK + " is not " + Dot.LANES + " positions");
        }
    }

    private GatedLinearAttention() {
    }

    /**
     * @param q   n×(nh·D) queries after relu
     * @param k   n×(kv·D) keys after relu
     * @param v   n×(kv·D) values
     * @param g   n×(kv·D) log decays (logsigmoid(·)/normalizer)
     * @param out n×(nh·D) normalized head outputs
     */
    static void forward(GlaState state, long startPosition, int n, float[] q, float[] k, float[] v, float[] g, float[] gNorm,
                        double eps, int numHeads, float[] out, Parallel parallel) {
        int kvHeads = state.kvHeads();
        int d = state.headDim();
        parallel.forRange(kvHeads, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                head(state, j, startPosition, n, q, k, v, g, gNorm, eps, numHeads, out);
            }
        });
    }

    private static void head(GlaState state, int j, long startPosition, int n, float[] q, float[] k, float[] v, float[] g,
                             float[] gNorm, double eps, int numHeads, float[] out) {
        int d = state.headDim();
        int kvHeads = state.kvHeads();
        int kvDim = kvHeads * d;
        int qDim = numHeads * d;
        int groups = numHeads / kvHeads;
        int jd = j * d;
        int sOff = j * d * d;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] s = state.matrix();
        float[] keys = state.pendingKeys();
        float[] values = state.pendingValues();
        float[] decays = state.pendingDecays();
        float[] qHat = new float[d];
        float[] expB = new float[d];
        float[] diff = new float[d];
        // Transposed (feature-major, one lane per block position) for Dot.columns16; lanes past i are left
        // from earlier tokens and their scores unused (lanes do not mix).
        float[] decayedKeys = new float[d * GlaState.BLOCK];
        float[] o = new float[d];
        float[] coef = new float[d];
        float[] scores = new float[GlaState.BLOCK];
        for (int t = 0; t < n; t++) {
            int i = (int) ((startPosition + t) % GlaState.BLOCK);
            int cur = i * kvDim + jd;
            for (int c = 0; c < d; c++) {
                float prev = i == 0 ? 0f : decays[cur - kvDim + c];
                decays[cur + c] = prev + g[t * kvDim + jd + c];
            }
            System.arraycopy(k, t * kvDim + jd, keys, cur, d);
            System.arraycopy(v, t * kvDim + jd, values, cur, d);
            Exp.exp(decays, cur, expB, 0, d);
            // k_s ⊙ e^{b_i − b_s} for the block so far: shared by the G query heads of this group.
            for (int src = 0; src <= i; src++) {
                int so = src * kvDim + jd;
                for (int c = 0; c < d; c++) {
                    diff[c] = decays[cur + c] - decays[so + c];
                }
                Exp.exp(diff, 0, diff, 0, d);
                for (int c = 0; c < d; c++) {
                    decayedKeys[c * GlaState.BLOCK + src] = keys[so + c] * diff[c];
                }
            }
            for (int h = j * groups; h < (j + 1) * groups; h++) {
                int qo = t * qDim + h * d;
                for (int c = 0; c < d; c++) {
                    qHat[c] = q[qo + c] * scale;
                    coef[c] = qHat[c] * expB[c];
                }
                Dot.columns16(decayedKeys, 0, qHat, 0, d, scores, 0);
                readOut(coef, s, sOff, scores, values, i, kvDim, jd, d, o);
                RmsNorm.apply(o, 0, gNorm, eps, out, qo, d);
            }
            if (i == GlaState.BLOCK - 1) {
                fold(s, sOff, values, expB, decayedKeys, kvDim, jd, d);
            }
        }
    }

    /**
     * o = Σ_dk coef[dk] · S[dk] then + Σ_{s ≤ i} scores[s] · v_s, each element a chain of fused multiply-adds in
     * that order (as one {@link Axpy#fma} per row and per source would give), held in a register per 16 lanes.
     */
    private static void readOut(float[] coef, float[] s, int sOff, float[] scores, float[] values, int i, int kvDim, int jd, int d,
                                float[] o) {
        int e = 0;
        if (VECTOR) {
            for (; e + L <= d; e += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int dk = 0; dk < d; dk++) {
                    acc = FloatVector.broadcast(F, coef[dk]).fma(FloatVector.fromArray(F, s, sOff + dk * d + e), acc);
                }
                for (int src = 0; src <= i; src++) {
                    acc = FloatVector.broadcast(F, scores[src]).fma(FloatVector.fromArray(F, values, src * kvDim + jd + e), acc);
                }
                acc.intoArray(o, e);
            }
        }
        for (; e < d; e++) {
            float acc = 0f;
            for (int dk = 0; dk < d; dk++) {
                acc = Math.fma(coef[dk], s[sOff + dk * d + e], acc);
            }
            for (int src = 0; src <= i; src++) {
                acc = Math.fma(scores[src], values[src * kvDim + jd + e], acc);
            }
            o[e] = acc;
        }
    }

    /**
     * S ← e^{b_last} ⊙ S + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s, row dk by row dk. At the block's last token
     * {@code expB} holds e^{b_last} and {@code decayedKeys} k_s ⊙ e^{b_last − b_s}, the same bits as computing them here.
     */
    private static void fold(float[] s, int sOff, float[] values, float[] expB, float[] decayedKeys, int kvDim, int jd, int d) {
        for (int dk = 0; dk < d; dk++) {
            int row = sOff + dk * d;
            Axpy.scale(expB[dk], s, row, d);
            for (int src = 0; src < GlaState.BLOCK; src++) {
                Axpy.fma(decayedKeys[dk * GlaState.BLOCK + src], values, src * kvDim + jd, s, row, d);
            }
        }
    }

}
