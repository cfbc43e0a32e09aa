package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.state.KvWindow;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * spikingbrain_moe's softmax branch for document rows: each query attends every sink (constants of the model)
 * and then the document positions of its window — the previous W and itself, or all of them in a
 * full-attention layer — in that order, so a query's result never depends on where chunks begin:
 * <pre>
 *   s_c = dot(q, k_c) · (1/√D)   m = max_c s_c   w_c = exp(s_c − m)   Z = Σ_c w_c in double, in order
 *   o   = RMSNorm((fma chain over c of w_c · v_c) / (float) Z; norm)
 * </pre>
 * Work items are blocks of up to 16 queries of one key/value head, as in {@link WindowAttention}: each block of 16
 * keys (sinks, then the window) is transposed once for all of them and scored with {@link Dot#columns16}, which
 * gives every column {@link Dot#dot}'s value — so the bits do not depend on how keys fall into blocks, nor on
 * the thread count.
 */
final class SinkAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int KEYS = Dot.LANES;
    /** Scores are written 16 at a time from a key block's first position, which may precede a query's window. */
    private static final int PAD = KEYS;
    private static final int QUERY_BLOCK = 16;

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
        int groups = numHeads / kvHeads;
        WindowAttention.Ordered kv = WindowAttention.ordered(window, startPosition, n, k, v);
        long span = Math.min((long) window.window(), startPosition + n) + 1;
        // fewer queries per block when windows are long (full attention): a block's scores stay within ~4 MB
        int queryBlock = (int) Math.max(1, Math.min(QUERY_BLOCK, (1L << 20) / (groups * (span + sinks + 4L * PAD))));
        int blocks = (n + queryBlock - 1) / queryBlock;
        parallel.forRange(blocks * kvHeads, (a, b) -> {
            Scratch s = new Scratch(queryBlock * groups, sinks, (int) span, headDim);
            for (int item = a; item < b; item++) {
                int t0 = item / kvHeads * queryBlock;
                attend(window, kv, sinkKeys, sinkValues, sinks, startPosition, t0, Math.min(n, t0 + queryBlock), item % kvHeads, q,
                        numHeads, headDim, norm, eps, out, s);
            }
        });
        if (!window.unbounded()) {
            WindowAttention.remember(window, startPosition, n, k, v);
        }
    }

    /** Per-thread buffers: one transposed key block, and each query × head's sink and window scores. */
    private static final class Scratch {
        final float[] keyBlock;
        final float[][] sinkScores;
        final float[][] windowScores;
        final int[] lo = new int[QUERY_BLOCK];
        final int[] count = new int[QUERY_BLOCK];
        final float[] o;

        Scratch(int units, int sinks, int span, int headDim) {
            keyBlock = new float[headDim * KEYS];
            sinkScores = new float[units][(sinks + KEYS - 1) / KEYS * KEYS];
            windowScores = new float[units][span + 2 * PAD];
            o = new float[headDim];
        }
    }

    /** Queries [t0, t1) of the chunk, all heads of key/value head j. */
    private static void attend(KvWindow window, WindowAttention.Ordered kv, float[] sinkKeys, float[] sinkValues, int sinks, long start,
                               int t0, int t1, int j, float[] q, int numHeads, int d, float[] norm, double eps, float[] out, Scratch s) {
        int kvDim = window.kvDim();
        int groups = numHeads / (kvDim / d);
        int qDim = numHeads * d;
        int jd = j * d;
        float scale = (float) (1.0 / Math.sqrt(d));
        int queries = t1 - t0;
        WindowAttention.queryRanges(window, kv, start, t0, queries, s.lo, s.count);
        // Sink scores: every query attends every sink.
        for (int kb = 0; kb < sinks; kb += KEYS) {
            WindowAttention.transpose(sinkKeys, kb, Math.min(KEYS, sinks - kb), kvDim, jd, d, s.keyBlock);
            for (int i = 0; i < queries; i++) {
                for (int g = 0; g < groups; g++) {
                    Dot.columns16(s.keyBlock, 0, q, (t0 + i) * qDim + (j * groups + g) * d, d, s.sinkScores[i * groups + g], kb);
                }
            }
        }
        // Window scores, one block of 16 keys at a time, for every query whose window meets it.
        int keysEnd = s.lo[queries - 1] + s.count[queries - 1];
        for (int kb = s.lo[0]; kb < keysEnd; kb += KEYS) {
            WindowAttention.transpose(kv.keys(), kb, Math.min(KEYS, keysEnd - kb), kvDim, jd, d, s.keyBlock);
            for (int i = 0; i < queries; i++) {
                if (kb + KEYS <= s.lo[i] || kb >= s.lo[i] + s.count[i]) {
                    continue;
                }
                for (int g = 0; g < groups; g++) {
                    Dot.columns16(s.keyBlock, 0, q, (t0 + i) * qDim + (j * groups + g) * d, d, s.windowScores[i * groups + g],
                            kb - s.lo[i] + PAD);
                }
            }
        }
        for (int u = 0; u < queries * groups; u++) {
            int i = u / groups;
            float[] sw = s.sinkScores[u];
            float[] ww = s.windowScores[u];
            int count = s.count[i];
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < sinks; c++) {
                sw[c] *= scale;
                max = Math.max(max, sw[c]);
            }
            for (int c = PAD; c < PAD + count; c++) {
                ww[c] *= scale;
                max = Math.max(max, ww[c]);
            }
            double total = 0;
            for (int c = 0; c < sinks; c++) {
                sw[c] = Exp.exp(sw[c] - max);
                total += sw[c];
            }
            for (int c = PAD; c < PAD + count; c++) {
                ww[c] = Exp.exp(ww[c] - max);
                total += ww[c];
            }
            readOut(sw, sinks, sinkValues, jd, ww, count, kv.values(), s.lo[i] * kvDim + jd, kvDim, d, (float) total, s.o);
            RmsNorm.apply(s.o, 0, norm, eps, out, (t0 + i) * qDim + (j * groups + u % groups) * d, d);
        }
    }

    /**
     * o[e] = (fma chain over the sinks, then the window, of w_c · v_c[e]) / total: one chain per element, in a register
     * per vector of lanes.
     */
    private static void readOut(float[] sw, int sinks, float[] sinkValues, int jd, float[] ww, int count, float[] values, int at,
                                int stride, int d, float total, float[] o) {
        int e = 0;
        // four vectors of lanes side by side: four independent chains (each element's chain is the same)
        for (; e + 4 * L <= d && L >= 8; e += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < sinks; c++) {
                FloatVector w = FloatVector.broadcast(F, sw[c]);
                int o0 = c * stride + jd + e;
                a0 = w.fma(FloatVector.fromArray(F, sinkValues, o0), a0);
                a1 = w.fma(FloatVector.fromArray(F, sinkValues, o0 + L), a1);
                a2 = w.fma(FloatVector.fromArray(F, sinkValues, o0 + 2 * L), a2);
                a3 = w.fma(FloatVector.fromArray(F, sinkValues, o0 + 3 * L), a3);
            }
            for (int c = 0; c < count; c++) {
                FloatVector w = FloatVector.broadcast(F, ww[PAD + c]);
                int o0 = at + c * stride + e;
                a0 = w.fma(FloatVector.fromArray(F, values, o0), a0);
                a1 = w.fma(FloatVector.fromArray(F, values, o0 + L), a1);
                a2 = w.fma(FloatVector.fromArray(F, values, o0 + 2 * L), a2);
                a3 = w.fma(FloatVector.fromArray(F, values, o0 + 3 * L), a3);
            }
            a0.div(total).intoArray(o, e);
            a1.div(total).intoArray(o, e + L);
            a2.div(total).intoArray(o, e + 2 * L);
            a3.div(total).intoArray(o, e + 3 * L);
        }
        for (; e + L <= d && L >= 8; e += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int c = 0; c < sinks; c++) {
                acc = FloatVector.broadcast(F, sw[c]).fma(FloatVector.fromArray(F, sinkValues, c * stride + jd + e), acc);
            }
            for (int c = 0; c < count; c++) {
                acc = FloatVector.broadcast(F, ww[PAD + c]).fma(FloatVector.fromArray(F, values, at + c * stride + e), acc);
            }
            acc.div(total).intoArray(o, e);
        }
        for (; e < d; e++) {
            float acc = 0f;
            for (int c = 0; c < sinks; c++) {
                acc = Math.fma(sw[c], sinkValues[c * stride + jd + e], acc);
            }
            for (int c = 0; c < count; c++) {
                acc = Math.fma(ww[PAD + c], values[at + c * stride + e], acc);
            }
            o[e] = acc / total;
        }
    }
}
