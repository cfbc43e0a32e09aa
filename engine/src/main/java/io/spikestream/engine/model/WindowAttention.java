package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.KvWindow;

/**
 * Grouped-query softmax attention of each query over itself and the previous W positions (the whole
 * document for the full-attention baseline). Keys older than the chunk come from the layer's
 * {@link KvWindow}, the chunk's own from the projections, always in position order, so a query's result
 * does not depend on where chunks begin. Queries × heads run in parallel.
 */
final class WindowAttention {
    private WindowAttention() {
    }

    /**
     * @param q   n×(nh·D) queries after RoPE
     * @param k   n×(kv·D) keys after RoPE
     * @param v   n×(kv·D) values
     * @param out n×(nh·D) head outputs
     */
    static void forward(KvWindow window, long startPosition, int n, float[] q, float[] k, float[] v, int numHeads, int headDim,
                        float[] out, Parallel parallel) {
        int kvDim = window.kvDim();
        int qDim = numHeads * headDim;
        int groups = numHeads / (kvDim / headDim);
        long span = Math.min((long) window.window(), startPosition + n) + 1;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        parallel.forRange(n * numHeads, (a, b) -> {
            float[] weights = new float[(int) span];
            float[] o = new float[headDim];
            float[] scores = new float[Dot.LANES];
            float[][] sources = new float[Dot.LANES][];
            int[] offsets = new int[Dot.LANES];
            float[] keys = window.keys();
            float[] values = window.values();
            for (int idx = a; idx < b; idx++) {
                int t = idx / numHeads;
                int h = idx % numHeads;
                int jd = (h / groups) * headDim;
                long pos = startPosition + t;
                long lo = Math.max(0, pos - window.window());
                int count = (int) (pos - lo + 1);
                int qo = t * qDim + h * headDim;
                float max = Float.NEGATIVE_INFINITY;
                int c = 0;
                for (; c + Dot.LANES <= count; c += Dot.LANES) {
                    for (int i = 0; i < Dot.LANES; i++) {
                        long kp = lo + c + i;
                        boolean old = kp < startPosition;
                        sources[i] = old ? keys : k;
                        offsets[i] = old ? window.offset(kp) + jd : (int) (kp - startPosition) * kvDim + jd;
                    }
                    Dot.dot16(q, qo, sources, offsets, headDim, scores);
                    for (int i = 0; i < Dot.LANES; i++) {
                        float score = scores[i] * scale;
                        weights[c + i] = score;
                        max = Math.max(max, score);
                    }
                }
                for (; c < count; c++) {
                    long kp = lo + c;
                    float score = kp < startPosition
                            ? Dot.dot(q, qo, keys, window.offset(kp) + jd, headDim)
                            : Dot.dot(q, qo, k, (int) (kp - startPosition) * kvDim + jd, headDim);
                    score *= scale;
                    weights[c] = score;
                    max = Math.max(max, score);
                }
                for (c = 0; c < count; c++) {
                    weights[c] -= max;
                }
                Exp.exp(weights, 0, weights, 0, count);
                double sum = 0;
                java.util.Arrays.fill(o, 0f);
                for (c = 0; c < count; c++) {
                    long kp = lo + c;
                    sum += weights[c];
                    if (kp < startPosition) {
                        Axpy.fma(weights[c], values, window.offset(kp) + jd, o, 0, headDim);
                    } else {
                        Axpy.fma(weights[c], v, (int) (kp - startPosition) * kvDim + jd, o, 0, headDim);
                    }
                }
                float total = (float) sum;
                for (int e = 0; e < headDim; e++) {
                    out[qo + e] = o[e] / total;
                }
            }
        });
    }

    /** Stores the chunk's keys and values; the window keeps the last W positions. */
    static void remember(KvWindow window, long startPosition, int n, float[] k, float[] v) {
        int kvDim = window.kvDim();
        long first = window.unbounded() ? startPosition : Math.max(startPosition, startPosition + n - window.window());
        for (long p = first; p < startPosition + n; p++) {
            int src = (int) (p - startPosition) * kvDim;
            System.arraycopy(k, src, window.keys(), window.offset(p), kvDim);
            System.arraycopy(v, src, window.values(), window.offset(p), kvDim);
        }
    }
}
