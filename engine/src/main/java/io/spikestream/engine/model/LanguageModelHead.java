package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.SumExp;
import io.spikestream.engine.tensor.Matrix;

/**
 * logits = lm_head · h, and the log-partition log Σ exp(logits) per token without keeping n×V logits in
 * memory: the vocabulary is cut into fixed slices whose (max, Σ exp) are combined in slice order, so the
 * result is the same bits for any thread count and chunk size.
 */
final class LanguageModelHead {
    private static final int SLICE = 2048;
    /** Largest n×V logits held at once to share a small vocabulary's matrix product among threads. */
    private static final long SMALL_VOCAB_LOGITS = 1L << 22;

    private LanguageModelHead() {
    }

    /**
     * log Σ exp(logits) of tokens [t0, t1) into {@code lse[t]}.
     *
     * @param hidden final normalized hidden vectors (H per token)
     * @param logits V logits per token at rows t0 … t1−1, or null when only the log-partition is wanted
     */
    static void logSumExp(Matrix lmHead, float[] hidden, int t0, int t1, float[] logits, double[] lse, Parallel parallel) {
        int vocab = lmHead.rows();
        int n = t1 - t0;
        int slices = (vocab + SLICE - 1) / SLICE;
        float[] sliceMax = new float[slices * n];
        double[] sliceSum = new double[slices * n];
        float[] all = logits;
        int allFirst = t0;
        if (all == null && slices < 2 * parallel.threads() && (long) n * vocab <= SMALL_VOCAB_LOGITS) {
            // A small vocabulary has too few slices to share: compute the logits with every thread first.
            all = new float[n * vocab];
            allFirst = 0;
        }
        if (all != null) {
            MatMul.matmul(lmHead, null, hidden, t0, all, allFirst, n, parallel);
            float[] src = all;
            int first = allFirst;
            parallel.forRange(n, (u0, u1) -> {
                for (int t = u0; t < u1; t++) {
                    for (int s = 0; s < slices; s++) {
                        int base = (first + t) * vocab + s * SLICE;
                        int rows = Math.min(SLICE, vocab - s * SLICE);
                        float max = SumExp.max(src, base, rows);
                        sliceMax[s * n + t] = max;
                        sliceSum[s * n + t] = SumExp.sumExp(src, base, rows, max);
                    }
                }
            });
        } else {
            parallel.forRange(slices, (s0, s1) -> {
                float[] scratch = new float[n * SLICE];
                for (int s = s0; s < s1; s++) {
                    int r0 = s * SLICE;
                    int rows = Math.min(SLICE, vocab - r0);
                    MatMul.rows(lmHead, r0, r0 + rows, null, hidden, t0, n, scratch, SLICE, 0);
                    for (int t = 0; t < n; t++) {
                        float max = SumExp.max(scratch, t * SLICE, rows);
                        sliceMax[s * n + t] = max;
                        sliceSum[s * n + t] = SumExp.sumExp(scratch, t * SLICE, rows, max);
                    }
                }
            });
        }
        for (int t = 0; t < n; t++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < slices; s++) {
                max = Math.max(max, sliceMax[s * n + t]);
            }
            double total = 0;
            for (int s = 0; s < slices; s++) {
                total += sliceSum[s * n + t] * StrictMath.exp((double) sliceMax[s * n + t] - max);
            }
            lse[t0 + t] = max + StrictMath.log(total);
        }
    }

    /** One logit, the same bits as the corresponding entry of the full product. */
    static float logit(Matrix lmHead, float[] hidden, int hiddenOffset, int token) {
        int h = lmHead.cols();
        float[] floats = lmHead.floats();
        if (floats != null) {
            return Dot.dot(floats, token * h, hidden, hiddenOffset, h);
        }
        float[] row = new float[h];
        lmHead.widenRow(token, row, 0);
        return Dot.dot(row, 0, hidden, hiddenOffset, h);
    }
}
