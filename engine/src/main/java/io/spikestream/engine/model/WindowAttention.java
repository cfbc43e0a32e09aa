package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.KvWindow;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Grouped-query softmax attention of each query over itself and the previous W positions (the whole
 * document for the full-attention baseline). Keys older than the chunk come from the layer's
 * {@link KvWindow}, the chunk's own from the projections, always in position order, so a query's result
 * does not depend on where chunks begin. Queries × heads run in parallel.
 */
final class WindowAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final boolean VECTOR = L >= 8;

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
            float[][] keySources = new float[(int) span][];
            float[][] valueSources = new float[(int) span][];
            int[] offsets = new int[(int) span];
            float[] scores = new float[Dot.LANES];
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
                // Where each attended position's key and value live: ring slots (found by stepping, not by a
                // 64-bit modulo per position) for positions before the chunk, the chunk's own arrays after.
                int slot = lo < startPosition ? window.offset(lo) / kvDim : 0;
                for (int c = 0; c < count; c++) {
                    long kp = lo + c;
                    if (kp < startPosition) {
                        keySources[c] = keys;
                        valueSources[c] = values;
                        offsets[c] = slot * kvDim + jd;
                        if (++slot == window.capacity()) {
                            slot = 0;
                        }
                    } else {
                        keySources[c] = k;
                        valueSources[c] = v;
                        offsets[c] = (int) (kp - startPosition) * kvDim + jd;
                    }
                }
                float max = Float.NEGATIVE_INFINITY;
                int c = 0;
                for (; c + Dot.LANES <= count; c += Dot.LANES) {
                    Dot.dot16(q, qo, keySources, offsets, c, headDim, scores);
                    for (int i = 0; i < Dot.LANES; i++) {
                        float score = scores[i] * scale;
                        weights[c + i] = score;
                        max = Math.max(max, score);
                    }
                }
                for (; c < count; c++) {
                    float score = Dot.dot(q, qo, keySources[c], offsets[c], headDim) * scale;
                    weights[c] = score;
                    max = Math.max(max, score);
                }
                for (c = 0; c < count; c++) {
                    weights[c] -= max;
                }
                Exp.exp(weights, 0, weights, 0, count);
                double sum = 0;
                for (c = 0; c < count; c++) {
                    sum += weights[c];
                }
                weightedSum(weights, valueSources, offsets, count, headDim, (float) sum, out, qo);
            }
        });
    }

    /**
     * out[e] = (Σ_c fma-chain of weights[c] · v_c[e], in position order) / total: each element's operations
     * are those of one {@link Axpy#fma} per position, kept in a register across positions.
     */
    static void weightedSum(float[] weights, float[][] sources, int[] offsets, int count, int d, float total, float[] out, int at) {
        int e = 0;
        if (VECTOR) {
            for (; e + L <= d; e += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int c = 0; c < count; c++) {
                    acc = FloatVector.broadcast(F, weights[c]).fma(FloatVector.fromArray(F, sources[c], offsets[c] + e), acc);
                }
                acc.div(total).intoArray(out, at + e);
            }
        }
        for (; e < d; e++) {
            float acc = 0f;
            for (int c = 0; c < count; c++) {
                acc = Math.fma(weights[c], sources[c][offsets[c] + e], acc);
            }
            out[at + e] = acc / total;
        }
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
