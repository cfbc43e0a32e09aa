package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.state.GlaState;

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
        float[] decayedKeys = new float[GlaState.BLOCK * d];
        float[] o = new float[d];
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
                    decayedKeys[src * d + c] = keys[so + c] * diff[c];
                }
            }
            for (int h = j * groups; h < (j + 1) * groups; h++) {
                int qo = t * qDim + h * d;
                for (int c = 0; c < d; c++) {
                    qHat[c] = q[qo + c] * scale;
                }
                java.util.Arrays.fill(o, 0f);
                for (int dk = 0; dk < d; dk++) {
                    Axpy.fma(qHat[dk] * expB[dk], s, sOff + dk * d, o, 0, d);
                }
                for (int src = 0; src <= i; src++) {
                    float a = Dot.dot(qHat, 0, decayedKeys, src * d, d);
                    Axpy.fma(a, values, src * kvDim + jd, o, 0, d);
                }
                RmsNorm.apply(o, 0, gNorm, eps, out, qo, d);
            }
            if (i == GlaState.BLOCK - 1) {
                fold(s, sOff, keys, values, decays, cur, kvDim, jd, d, diff);
            }
        }
    }

    /** S ← e^{b_last} ⊙ S + Σ_s (k_s ⊙ e^{b_last − b_s}) ⊗ v_s, row dk by row dk. */
    private static void fold(float[] s, int sOff, float[] keys, float[] values, float[] decays, int last, int kvDim, int jd,
                             int d, float[] scratch) {
        for (int dk = 0; dk < d; dk++) {
            int row = sOff + dk * d;
            Axpy.scale(Exp.exp(decays[last + dk]), s, row, d);
            for (int src = 0; src < GlaState.BLOCK; src++) {
                int so = src * kvDim + jd;
                float coef = keys[so + dk] * Exp.exp(decays[last + dk] - decays[so + dk]);
                Axpy.fma(coef, values, so, s, row, d);
            }
        }
    }
}
