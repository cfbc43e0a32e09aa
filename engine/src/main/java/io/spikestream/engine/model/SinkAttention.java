package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.state.KvWindow;

/**
 * spikingbrain_moe's softmax branch for document rows: each query attends every sink (constants of the model)
 * and then the document positions of its window — the previous W and itself, or all of them in a
 * full-attention layer — in that order, so a query's result never depends on where chunks begin:
 * <pre>
 *   s_c = dot(q, k_c) · (1/√D)   m = max_c s_c   w_c = exp(s_c − m)   Z = Σ_c w_c in double, in order
 *   o   = RMSNorm((fma chain over c of w_c · v_c) / (float) Z; norm)
 * </pre>
 * Work items are (query, key/value head) pairs; they share nothing, so thread counts do not change a bit.
 */
final class SinkAttention {
    private SinkAttention() {
    }

    /**
     * Attends the chunk's queries and stores its keys and values in {@code window}.
     *
     * @param sinkKeys   S×(kv·D) sink keys after RoPE     @param sinkValues S×(kv·D)
     * @param q          n×(nh·D) queries after RoPE        @param k, v       n×(kv·D), keys after RoPE
     * @param out        n×(nh·D) normalized head outputs
     */
    static void forward(KvWindow window, float[] sinkKeys, float[] sinkValues, int sinks, long startPosition, int n, float[] q,
                        float[] k, float[] v, int numHeads, int headDim, float[] norm, double eps, float[] out, Parallel parallel) {
        int kvDim = window.kvDim();
        int kvHeads = kvDim / headDim;
        WindowAttention.Ordered kv = WindowAttention.ordered(window, startPosition, n, k, v);
        long span = Math.min((long) window.window(), startPosition + n) + 1;
        parallel.forRange(n * kvHeads, (a, b) -> {
            float[] w = new float[sinks + (int) span];
            float[] o = new float[headDim];
            for (int item = a; item < b; item++) {
                attend(window, kv, sinkKeys, sinkValues, sinks, startPosition, item / kvHeads, item % kvHeads, q, numHeads, headDim,
                        norm, eps, out, w, o);
            }
        });
        if (!window.unbounded()) {
            WindowAttention.remember(window, startPosition, n, k, v);
        }
    }

    private static void attend(KvWindow window, WindowAttention.Ordered kv, float[] sinkKeys, float[] sinkValues, int sinks, long start,
                               int t, int j, float[] q, int numHeads, int d, float[] norm, double eps, float[] out, float[] w, float[] o) {
        int kvDim = window.kvDim();
        int groups = numHeads / (kvDim / d);
        int qDim = numHeads * d;
        float scale = (float) (1.0 / Math.sqrt(d));
        long pos = start + t;
        long lo = window.unbounded() ? 0 : Math.max(0, pos - window.window());
        int first = (int) (lo - kv.first());
        int count = (int) (pos - lo + 1);
        for (int g = 0; g < groups; g++) {
            int qo = t * qDim + (j * groups + g) * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < sinks; c++) {
                w[c] = Dot.dot(q, qo, sinkKeys, c * kvDim + j * d, d) * scale;
                max = Math.max(max, w[c]);
            }
            for (int c = 0; c < count; c++) {
                w[sinks + c] = Dot.dot(q, qo, kv.keys(), (first + c) * kvDim + j * d, d) * scale;
                max = Math.max(max, w[sinks + c]);
            }
            double total = 0;
            for (int c = 0; c < sinks + count; c++) {
                w[c] = Exp.exp(w[c] - max);
                total += w[c];
            }
            java.util.Arrays.fill(o, 0f);
            for (int c = 0; c < sinks; c++) {
                fma(w[c], sinkValues, c * kvDim + j * d, o, d);
            }
            for (int c = 0; c < count; c++) {
                fma(w[sinks + c], kv.values(), (first + c) * kvDim + j * d, o, d);
            }
            float z = (float) total;
            for (int e = 0; e < d; e++) {
                o[e] /= z;
            }
            RmsNorm.apply(o, 0, norm, eps, out, qo, d);
        }
    }

    private static void fma(float a, float[] x, int at, float[] y, int d) {
        for (int e = 0; e < d; e++) {
            y[e] = Math.fma(a, x[at + e], y[e]);
        }
    }
}
