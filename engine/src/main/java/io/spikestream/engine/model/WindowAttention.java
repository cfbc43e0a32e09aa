package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.KvWindow;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Grouped-query softmax attention of each query over itself and the previous W positions (the whole
 * document for the full-attention baseline). Keys older than the chunk come from the layer's
 * {@link KvWindow}, the chunk's own from the projections, always in position order, so a query's result
 * does not depend on where chunks begin.
 *
 * <p>For one query and head, with c over the attended positions in order:
 * <pre>
 *   s_c = dot(q, k_c) · (1/√D)    (Dot's definition)      m = max_c s_c      w_c = exp(s_c − m)   (Exp)
 *   Z   = Σ_c w_c in double, in order                        out = (fma chain over c of w_c · v_c) / (float) Z
 * </pre>
 * Work items are blocks of {@link #QUERY_BLOCK} queries of one key/value head: their windows overlap, so each
 * block of 16 keys is transposed once for all of them and scored with {@link Dot#columns16}, sixteen
 * scores per call without a shuffle; the read-outs of four queries run side by side, four independent
 * chains instead of one long one.
 */
final class WindowAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final boolean VECTOR = L >= 8;
    private static final int QUERY_BLOCK = 16;
    private static final int KEYS = Dot.LANES;
    /** Scores are written 16 at a time from a key block's first position, which may precede a query's window. */
    private static final int PAD = KEYS;

    private WindowAttention() {
    }

    /** Keys and values of positions [first, …) in position order, {@code kvDim} floats each. */
    record Ordered(float[] keys, float[] values, long first) {
    }

    /**
     * Attends every query of the chunk, then stores the chunk's keys and values in the window (which keeps
     * the last W positions).
     *
     * @param q   n×(nh·D) queries after RoPE
     * @param k   n×(kv·D) keys after RoPE
     * @param v   n×(kv·D) values
     * @param out n×(nh·D) head outputs
     */
    static void forward(KvWindow window, long startPosition, int n, float[] q, float[] k, float[] v, int numHeads, int headDim,
                        float[] out, Parallel parallel) {
        int kvDim = window.kvDim();
        int kvHeads = kvDim / headDim;
        int groups = numHeads / kvHeads;
        Ordered kv = ordered(window, startPosition, n, k, v);
        // Fewer queries per block when windows are long (the full-attention baseline): the scores of a block
        // stay within ~4 MB. The result does not depend on the block size.
        long span = Math.min((long) window.window(), startPosition + n) + 1;
        int queryBlock = (int) Math.max(1, Math.min(QUERY_BLOCK, (1L << 20) / (groups * (span + 2 * PAD))));
        int blocks = (n + queryBlock - 1) / queryBlock;
        parallel.forRange(blocks * kvHeads, (a, b) -> {
            Scratch scratch = new Scratch(queryBlock, groups, (int) span, headDim);
            for (int item = a; item < b; item++) {
                int t0 = item / kvHeads * queryBlock;
                attend(window, kv, startPosition, t0, Math.min(n, t0 + queryBlock), item % kvHeads, q, numHeads, headDim, out,
                        scratch);
            }
        });
        if (!window.unbounded()) {
            remember(window, startPosition, n, k, v);
        }
    }

    /**
     * Positions [start − W, start + n) in order. The full-attention cache holds position p in slot p, so the
     * chunk is stored first and the cache itself is the ordered copy; a ring of W slots is copied out.
     */
    static Ordered ordered(KvWindow window, long start, int n, float[] k, float[] v) {
        int kvDim = window.kvDim();
        if (window.unbounded()) {
            remember(window, start, n, k, v);
            return new Ordered(window.keys(), window.values(), 0);
        }
        long first = Math.max(0, start - window.window());
        int held = (int) (start - first);
        float[] keys = new float[(held + n) * kvDim];
        float[] values = new float[keys.length];
        for (long p = first; p < start; p++) {
            int dst = (int) (p - first) * kvDim;
            System.arraycopy(window.keys(), window.offset(p), keys, dst, kvDim);
            System.arraycopy(window.values(), window.offset(p), values, dst, kvDim);
        }
        System.arraycopy(k, 0, keys, held * kvDim, n * kvDim);
        System.arraycopy(v, 0, values, held * kvDim, n * kvDim);
        return new Ordered(keys, values, first);
    }

    /** Per-thread buffers: one transposed key block, and the scores of every query × head of a block. */
    private static final class Scratch {
        final float[] keyBlock;
        final float[][] weights;
        final int[] lo;
        final int[] count;
        final double[] totals;
        final int[] valueAt = new int[4];
        final int[] outAt = new int[4];

        Scratch(int queries, int groups, int span, int headDim) {
            this.keyBlock = new float[headDim * KEYS];
            int units = queries * groups;
            this.weights = new float[units][span + 2 * PAD];
            this.lo = new int[queries];
            this.count = new int[queries];
            this.totals = new double[units];
        }
    }

    /** Queries [t0, t1) of the chunk, all heads of key/value head j. */
    private static void attend(KvWindow window, Ordered kv, long start, int t0, int t1, int j, float[] q, int numHeads, int d,
                               float[] out, Scratch s) {
        int kvDim = window.kvDim();
        int groups = numHeads / (kvDim / d);
        int qDim = numHeads * d;
        int jd = j * d;
        float scale = (float) (1.0 / Math.sqrt(d));
        int queries = t1 - t0;
        queryRanges(window, kv, start, t0, queries, s.lo, s.count);
        // Scores, one transposed block of 16 keys at a time, for every query whose window meets it.
        int keysEnd = s.lo[queries - 1] + s.count[queries - 1];
        for (int kb = s.lo[0]; kb < keysEnd; kb += KEYS) {
            transpose(kv.keys(), kb, Math.min(KEYS, keysEnd - kb), kvDim, jd, d, s.keyBlock);
            for (int i = 0; i < queries; i++) {
                if (kb + KEYS <= s.lo[i] || kb >= s.lo[i] + s.count[i]) {
                    continue;
                }
                for (int g = 0; g < groups; g++) {
                    int h = j * groups + g;
                    Dot.columns16(s.keyBlock, 0, q, (t0 + i) * qDim + h * d, d, s.weights[i * groups + g], kb - s.lo[i] + PAD);
                }
            }
        }
        int units = queries * groups;
        for (int u = 0; u < units; u++) {
            exponentiate(s.weights[u], PAD, s.count[u / groups], scale);
        }
        // Sums and read-outs, four query × head units at a time when their windows have the same length: four
        // independent chains instead of one long one.
        int u = 0;
        for (; u + 4 <= units && s.count[u / groups] == s.count[(u + 3) / groups]; u += 4) {
            sum4(s, u, s.count[u / groups]);
        }
        for (; u < units; u++) {
            s.totals[u] = sum(s.weights[u], PAD, s.count[u / groups]);
        }
        u = 0;
        for (; u + 4 <= units && s.count[u / groups] == s.count[(u + 3) / groups]; u += 4) {
            weightedSum4(s, u, kv.values(), kvDim, s.count[u / groups], d, out, t0, qDim, groups, j);
        }
        for (; u < units; u++) {
            int i = u / groups;
            int h = j * groups + u % groups;
            weightedSum(s.weights[u], PAD, kv.values(), s.lo[i] * kvDim + jd, kvDim, s.count[i], d, (float) s.totals[u], out,
                    (t0 + i) * qDim + h * d);
        }
    }

    /**
     * Where each of {@code queries} queries from chunk row t0 attends in {@code kv}: its first row {@code lo[i]}
     * and {@code count[i]} rows (itself and the previous W positions; every position of a full-attention window).
     */
    static void queryRanges(KvWindow window, Ordered kv, long start, int t0, int queries, int[] lo, int[] count) {
        for (int i = 0; i < queries; i++) {
            long pos = start + t0 + i;
            long first = Math.max(0, pos - window.window());
            lo[i] = (int) (first - kv.first());
            count[i] = (int) (pos - first + 1);
        }
    }

    /** Rows [from, from + rows) of head offset jd, transposed feature-major into 16 lanes (zeros past {@code rows}). */
    static void transpose(float[] keys, int from, int rows, int kvDim, int jd, int d, float[] block) {
        for (int c = 0; c < KEYS; c++) {
            int src = c < rows ? (from + c) * kvDim + jd : -1;
            for (int e = 0; e < d; e++) {
                block[e * KEYS + c] = src < 0 ? 0f : keys[src + e];
            }
        }
    }

    /**
     * Scales the scores, subtracts their maximum and exponentiates them in place. Lanes are independent, so
     * each step runs on whole vectors (the maximum is order-free); the exponentials past {@code count} land in
     * the padding.
     */
    private static void exponentiate(float[] w, int from, int count, float scale) {
        int c = from;
        int end = from + count;
        if (VECTOR) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; c + L <= end; c += L) {
                FloatVector score = FloatVector.fromArray(F, w, c).mul(scale);
                score.intoArray(w, c);
                m = m.max(score);
            }
            float max = m.reduceLanes(VectorOperators.MAX);
            for (; c < end; c++) {
                w[c] *= scale;
                max = Math.max(max, w[c]);
            }
            int rounded = (count + L - 1) / L * L; // PAD ≥ L: room for the last vector
            for (c = from; c < from + rounded; c += L) {
                Exp.exp(FloatVector.fromArray(F, w, c).sub(max)).intoArray(w, c);
            }
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (; c < end; c++) {
            w[c] *= scale;
            max = Math.max(max, w[c]);
        }
        for (c = from; c < end; c++) {
            w[c] = Exp.exp(w[c] - max);
        }
    }

    /** Σ of the weights in double, in position order. */
    private static double sum(float[] w, int from, int count) {
        double sum = 0;
        for (int c = from; c < from + count; c++) {
            sum += w[c];
        }
        return sum;
    }

    /** {@link #sum} of units u..u+3 (same count), side by side. */
    private static void sum4(Scratch s, int u, int count) {
        float[] w0 = s.weights[u], w1 = s.weights[u + 1], w2 = s.weights[u + 2], w3 = s.weights[u + 3];
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int c = PAD; c < PAD + count; c++) {
            s0 += w0[c];
            s1 += w1[c];
            s2 += w2[c];
            s3 += w3[c];
        }
        s.totals[u] = s0;
        s.totals[u + 1] = s1;
        s.totals[u + 2] = s2;
        s.totals[u + 3] = s3;
    }

    /** {@link #weightedSum} for units u..u+3 (same count), their chains interleaved. */
    private static void weightedSum4(Scratch s, int u, float[] values, int stride, int count, int d, float[] out, int t0,
                                     int qDim, int groups, int j) {
        float[] w0 = s.weights[u], w1 = s.weights[u + 1], w2 = s.weights[u + 2], w3 = s.weights[u + 3];
        // Unit x is query (u + x) / groups, head j·groups + (u + x) % groups: where its values and output are.
        int[] o = s.outAt;
        for (int x = 0; x < 4; x++) {
            s.valueAt[x] = s.lo[(u + x) / groups] * stride + j * d;
            o[x] = (t0 + (u + x) / groups) * qDim + (j * groups + (u + x) % groups) * d;
        }
        int v0 = s.valueAt[0], v1 = s.valueAt[1], v2 = s.valueAt[2], v3 = s.valueAt[3];
        int e = 0;
        if (VECTOR) {
            for (; e + L <= d; e += L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0; c < count; c++) {
                    int vo = c * stride + e;
                    a0 = FloatVector.broadcast(F, w0[PAD + c]).fma(FloatVector.fromArray(F, values, v0 + vo), a0);
                    a1 = FloatVector.broadcast(F, w1[PAD + c]).fma(FloatVector.fromArray(F, values, v1 + vo), a1);
                    a2 = FloatVector.broadcast(F, w2[PAD + c]).fma(FloatVector.fromArray(F, values, v2 + vo), a2);
                    a3 = FloatVector.broadcast(F, w3[PAD + c]).fma(FloatVector.fromArray(F, values, v3 + vo), a3);
                }
                a0.div((float) s.totals[u]).intoArray(out, o[0] + e);
                a1.div((float) s.totals[u + 1]).intoArray(out, o[1] + e);
                a2.div((float) s.totals[u + 2]).intoArray(out, o[2] + e);
                a3.div((float) s.totals[u + 3]).intoArray(out, o[3] + e);
            }
        }
        for (; e < d; e++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            for (int c = 0; c < count; c++) {
                int vo = c * stride + e;
                a0 = Math.fma(w0[PAD + c], values[v0 + vo], a0);
                a1 = Math.fma(w1[PAD + c], values[v1 + vo], a1);
                a2 = Math.fma(w2[PAD + c], values[v2 + vo], a2);
                a3 = Math.fma(w3[PAD + c], values[v3 + vo], a3);
            }
            out[o[0] + e] = a0 / (float) s.totals[u];
            out[o[1] + e] = a1 / (float) s.totals[u + 1];
            out[o[2] + e] = a2 / (float) s.totals[u + 2];
            out[o[3] + e] = a3 / (float) s.totals[u + 3];
        }
    }

    /**
     * out[e] = (fma chain over c of weights[from + c] · values[at + c·stride + e], in position order) / total:
     * each element's operations are those of one {@link Axpy#fma} per position, kept in a register.
     */
    static void weightedSum(float[] weights, int from, float[] values, int at, int stride, int count, int d, float total,
                            float[] out, int outAt) {
        int e = 0;
        if (VECTOR) {
            for (; e + L <= d; e += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int c = 0; c < count; c++) {
                    acc = FloatVector.broadcast(F, weights[from + c]).fma(FloatVector.fromArray(F, values, at + c * stride + e), acc);
                }
                acc.div(total).intoArray(out, outAt + e);
            }
        }
        for (; e < d; e++) {
            float acc = 0f;
            for (int c = 0; c < count; c++) {
                acc = Math.fma(weights[from + c], values[at + c * stride + e], acc);
            }
            out[outAt + e] = acc / total;
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
