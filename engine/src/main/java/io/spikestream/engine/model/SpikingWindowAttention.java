package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.spiking.Spikes;
import io.spikestream.engine.state.QuantizedKvWindow;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * W8ASpike sliding-window attention (REFERENCE.md) straight from int8 codes: the query is spike counts s
 * with a threshold per head, keys and values are codes c with a scale per position and head, so
 * <pre>
 *   score = (Σ_d s_d · c_d) · V_th · k_scale / sqrt(D)      the sum is an exact integer (any order)
 *   o     = Σ_p softmax_p · v_scale_p · c_p / Σ_p softmax_p
 * </pre>
 * Older positions come from the layer's {@link QuantizedKvWindow}, the chunk's own from its codes, always in
 * position order, so a query's result does not depend on where chunks begin. Queries × heads run in parallel.
 */
final class SpikingWindowAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int L = 16;
    private static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= L;
    /** Integer dot products stay exact in float lanes below this. */
    private static final long EXACT_LIMIT = 1L << 24;

    private SpikingWindowAttention() {
    }

    /**
     * @param query spikes of the n×(nh·D) queries after RoPE, one threshold per token and head
     * @param kc    n×(kv·D) key codes of the chunk, {@code ks} their n×kv scales; likewise values
     * @param out   n×(nh·D) head outputs
     */
    static void forward(QuantizedKvWindow window, long startPosition, int n, Spikes query, byte[] kc, float[] ks, byte[] vc,
                        float[] vs, int numHeads, int headDim, float[] out, Parallel parallel) {
        int kvDim = window.kvDim();
        int heads = window.heads();
        int qDim = numHeads * headDim;
        int groups = numHeads / heads;
        long span = Math.min((long) window.window(), startPosition + n) + 1;
        double invSqrt = 1.0 / Math.sqrt(headDim);
        float[] counts = query.counts();
        float[] thresholds = query.thresholds();
        parallel.forRange(n * numHeads, (a, b) -> {
            float[] weights = new float[(int) span];
            float[] o = new float[headDim];
            for (int idx = a; idx < b; idx++) {
                int t = idx / numHeads;
                int h = idx % numHeads;
                int j = h / groups;
                int jd = j * headDim;
                long pos = startPosition + t;
                long lo = Math.max(0, pos - window.window());
                int count = (int) (pos - lo + 1);
                int qo = t * qDim + h * headDim;
                float vth = thresholds[t * numHeads + h];
                boolean exact = exactInFloat(counts, qo, headDim);
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < count; c++) {
                    long kp = lo + c;
                    boolean old = kp < startPosition;
                    byte[] codes = old ? window.keyCodes() : kc;
                    int off = old ? window.offset(kp) + jd : (int) (kp - startPosition) * kvDim + jd;
                    float scale = old ? window.keyScales()[window.scaleOffset(kp) + j] : ks[(int) (kp - startPosition) * heads + j];
                    double sum = exact ? dot(counts, qo, codes, off, headDim) : dotLong(counts, qo, codes, off, headDim);
                    float score = (float) (sum * vth * scale * invSqrt);
                    weights[c] = score;
                    max = Math.max(max, score);
                }
                for (int c = 0; c < count; c++) {
                    weights[c] -= max;
                }
                Exp.exp(weights, 0, weights, 0, count);
                double total = 0;
                java.util.Arrays.fill(o, 0f);
                for (int c = 0; c < count; c++) {
                    long kp = lo + c;
                    boolean old = kp < startPosition;
                    total += weights[c];
                    byte[] codes = old ? window.valueCodes() : vc;
                    int off = old ? window.offset(kp) + jd : (int) (kp - startPosition) * kvDim + jd;
                    float scale = old ? window.valueScales()[window.scaleOffset(kp) + j] : vs[(int) (kp - startPosition) * heads + j];
                    accumulate(weights[c] * scale, codes, off, o, headDim);
                }
                float sum = (float) total;
                for (int e = 0; e < headDim; e++) {
                    out[qo + e] = o[e] / sum;
                }
            }
        });
    }

    /** Whether |Σ s·c| < 2^24 is guaranteed for this head's counts (codes are at most 128 in magnitude). */
    private static boolean exactInFloat(float[] counts, int off, int d) {
        double abs = 0;
        for (int i = off; i < off + d; i++) {
            abs += Math.abs(counts[i]);
        }
        return abs * 128 < EXACT_LIMIT;
    }

    /** Σ s_d · c_d in float lanes: every partial sum is an integer below 2^24, so the result is exact. */
    private static double dot(float[] s, int so, byte[] c, int co, int d) {
        int i = 0;
        float sum = 0f;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = d - d % L; i < bound; i += L) {
                FloatVector codes = (FloatVector) ByteVector.fromArray(B, c, co + i).castShape(F, 0);
                acc = codes.fma(FloatVector.fromArray(F, s, so + i), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < d; i++) {
            sum = Math.fma(s[so + i], c[co + i], sum);
        }
        return sum;
    }

    private static double dotLong(float[] s, int so, byte[] c, int co, int d) {
        long sum = 0;
        for (int i = 0; i < d; i++) {
            sum += (long) s[so + i] * c[co + i];
        }
        return sum;
    }

    /** o[e] = fma(coef, c[e], o[e]). */
    private static void accumulate(float coef, byte[] c, int co, float[] o, int d) {
        int i = 0;
        if (VECTOR) {
            FloatVector cv = FloatVector.broadcast(F, coef);
            for (int bound = d - d % L; i < bound; i += L) {
                FloatVector codes = (FloatVector) ByteVector.fromArray(B, c, co + i).castShape(F, 0);
                cv.fma(codes, FloatVector.fromArray(F, o, i)).intoArray(o, i);
            }
        }
        for (; i < d; i++) {
            o[i] = Math.fma(coef, c[co + i], o[i]);
        }
    }
}
