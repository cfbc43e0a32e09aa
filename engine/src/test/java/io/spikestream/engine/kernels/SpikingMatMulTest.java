package io.spikestream.engine.kernels;

import io.spikestream.engine.spiking.Spikes;
import io.spikestream.engine.tensor.SpikeWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spiking kernel against its definition computed in long arithmetic: exact group sums, then
 * fma(scale, sum, acc) over the groups in order and fma(acc, V_th, bias). Every tiling (prefill panels,
 * event-driven decode, the exact path for outliers), shape tail and thread count must give those bits.
 */
class SpikingMatMulTest {

    @ParameterizedTest
    @CsvSource({
        // out, in, group, tokens, exception rate, outlier tokens
        "64, 128, 128, 1, 0.0, 0",
        "64, 128, 128, 2, 0.01, 0",
        "64, 128, 64, 3, 0.01, 0",
        "64, 128, 32, 4, 0.01, 0",
        "80, 96, 48, 7, 0.02, 0",
        "32, 64, 64, 5, 0.0, 0",
        "200, 256, 128, 9, 0.01, 1",
        "17, 48, 16, 1, 0.05, 0",
        "130, 384, 128, 65, 0.01, 2",
        "256, 128, 128, 3, 0.01, 0",
    })
    void matchesTheDefinition(int out, int in, int group, int n, double exceptionRate, int outliers) {
        SplittableRandom rnd = new SplittableRandom(out * 31L + in * 7L + n);
        int[][] codes = new int[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                codes[o][i] = rnd.nextDouble() < exceptionRate ? (rnd.nextBoolean() ? 1 : -1) * (128 + rnd.nextInt(73))
                        : rnd.nextInt(-127, 128);
            }
        }
        codes[0][0] = -200;
        float[] scales = new float[out * (in / group)];
        for (int k = 0; k < scales.length; k++) {
            scales[k] = (float) (rnd.nextDouble(0.5, 2.0) / 127);
        }
        SpikeWeights w = SpikeWeights.build(out, in, group, (o, row) -> System.arraycopy(codes[o], 0, row, 0, in), scales);
        assertThat(w.code(0, 0)).isEqualTo(-200);
        assertThat(w.maxAbsCode()).isEqualTo(200);
        float[] x = new float[n * in];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < in; i++) {
                x[t * in + i] = (float) rnd.nextGaussian();
            }
            if (t < outliers) {
                x[t * in + rnd.nextInt(in)] = 5000f; // one huge activation: counts beyond the exact-in-float bound
            }
        }
        Spikes s = Spikes.encode(x, n, in);
        if (outliers > 0) {
            assertThat(SpikingMatMul.exactInFloat(s.maxAbs(0), w.maxAbsCode(), group)).isFalse();
        }
        float[] bias = new float[out];
        for (int o = 0; o < out; o++) {
            bias[o] = (float) rnd.nextGaussian();
        }
        float[] expected = reference(codes, scales, group, s, bias);
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel parallel = new Parallel(threads)) {
                float[] y = new float[n * out];
                SpikingMatMul.matmul(w, bias, s, y, parallel);
                assertThat(y).as("%d threads", threads).isEqualTo(expected);
                // Token by token (decode) gives the same bits as the chunk.
                for (int t = 0; t < n; t++) {
                    float[] one = new float[out];
                    SpikingMatMul.matmul(w, bias, Spikes.encode(java.util.Arrays.copyOfRange(x, t * in, (t + 1) * in), 1, in), one, parallel);
                    for (int o = 0; o < out; o++) {
                        assertThat(Float.floatToRawIntBits(one[o])).as("token %d row %d", t, o)
                                .isEqualTo(Float.floatToRawIntBits(expected[t * out + o]));
                    }
                }
            }
        }
        float[] noBias = new float[n * out];
        try (Parallel parallel = new Parallel(2)) {
            SpikingMatMul.matmul(w, null, s, noBias, parallel);
        }
        assertThat(noBias).isEqualTo(reference(codes, scales, group, s, new float[out]));
    }

    private static float[] reference(int[][] codes, float[] scales, int group, Spikes s, float[] bias) {
        int out = codes.length;
        int in = codes[0].length;
        int groups = in / group;
        float[] y = new float[s.tokens() * out];
        for (int t = 0; t < s.tokens(); t++) {
            for (int o = 0; o < out; o++) {
                float acc = 0f;
                for (int g = 0; g < groups; g++) {
                    long sum = 0;
                    for (int i = g * group; i < (g + 1) * group; i++) {
                        sum += (long) codes[o][i] * s.count(t, i);
                    }
                    acc = Math.fma(scales[o * groups + g], (float) sum, acc);
                }
                y[t * out + o] = Math.fma(acc, s.threshold(t), bias[o]);
            }
        }
        return y;
    }
}
