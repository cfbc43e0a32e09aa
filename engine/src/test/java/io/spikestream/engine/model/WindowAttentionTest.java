package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Dot;
import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.KeyValueWindow;
import io.spikestream.engine.state.KvWindow;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The blocked attention kernel (transposed key blocks, four read-outs side by side) against its definition
 * written out one query and head at a time, over several chunks of a document, for sliding windows shorter
 * and longer than a chunk, the unbounded baseline, head sizes with and without vector tails, and 1 or 2 threads.
 */
class WindowAttentionTest {

    @ParameterizedTest
    @CsvSource({"16,4,2,64", "16,2,2,5", "8,3,1,7", "24,4,2,40", "16,4,4,0", "32,2,1,0"})
    void everyOutputIsTheDefinedSoftmaxReadOut(int d, int heads, int kvHeads, int window) {
        SplittableRandom rnd = new SplittableRandom(d * 7L + heads * 3L + window);
        int qDim = heads * d;
        int kvDim = kvHeads * d;
        int w = window == 0 ? KeyValueWindow.UNBOUNDED : window;
        int[] chunks = {1, 37, 3, 70, 16};
        int total = java.util.Arrays.stream(chunks).sum();
        float[] allK = gaussian(rnd, total * kvDim);
        float[] allV = gaussian(rnd, total * kvDim);
        float[] allQ = gaussian(rnd, total * qDim);
        for (int threads : new int[] {1, 2}) {
            KvWindow kv = new KvWindow(w, kvDim);
            long p0 = 0;
            try (Parallel parallel = new Parallel(threads)) {
                for (int n : chunks) {
                    float[] q = java.util.Arrays.copyOfRange(allQ, (int) p0 * qDim, (int) (p0 + n) * qDim);
                    float[] k = java.util.Arrays.copyOfRange(allK, (int) p0 * kvDim, (int) (p0 + n) * kvDim);
                    float[] v = java.util.Arrays.copyOfRange(allV, (int) p0 * kvDim, (int) (p0 + n) * kvDim);
                    float[] out = new float[n * qDim];
                    kv.ensureCapacity(p0 + n);
                    WindowAttention.forward(kv, p0, n, q, k, v, heads, d, out, parallel);
                    for (int t = 0; t < n; t++) {
                        for (int h = 0; h < heads; h++) {
                            float[] expected = reference(allQ, allK, allV, p0 + t, h, heads, kvHeads, d, w);
                            for (int e = 0; e < d; e++) {
                                assertThat(Float.floatToRawIntBits(out[t * qDim + h * d + e]))
                                        .as("threads %d position %d head %d element %d", threads, p0 + t, h, e)
                                        .isEqualTo(Float.floatToRawIntBits(expected[e]));
                            }
                        }
                    }
                    p0 += n;
                }
            }
        }
    }

    /** One query and head, as the class comment of WindowAttention defines it. */
    private static float[] reference(float[] q, float[] k, float[] v, long pos, int h, int heads, int kvHeads, int d, int w) {
        int qDim = heads * d;
        int kvDim = kvHeads * d;
        int jd = h / (heads / kvHeads) * d;
        float scale = (float) (1.0 / Math.sqrt(d));
        long lo = Math.max(0, pos - w);
        int count = (int) (pos - lo + 1);
        float[] weights = new float[count];
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) {
            weights[c] = Dot.dotScalar(q, (int) pos * qDim + h * d, k, (int) (lo + c) * kvDim + jd, d) * scale;
            max = Math.max(max, weights[c]);
        }
        double sum = 0;
        for (int c = 0; c < count; c++) {
            weights[c] = Exp.exp(weights[c] - max);
            sum += weights[c];
        }
        float[] acc = new float[d];
        for (int c = 0; c < count; c++) {
            Axpy.fma(weights[c], v, (int) (lo + c) * kvDim + jd, acc, 0, d);
        }
        for (int e = 0; e < d; e++) {
            acc[e] /= (float) sum;
        }
        return acc;
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
