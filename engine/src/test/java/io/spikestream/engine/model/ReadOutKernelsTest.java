package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The attention read-out with register accumulators against its definition: one Axpy.fma per position. */
class ReadOutKernelsTest {

    @ParameterizedTest
    @CsvSource({"16,1", "16,65", "32,7", "128,4097", "24,10", "8,3", "130,20"})
    void weightedSumIsOneFusedMultiplyAddPerPositionThenTheDivision(int d, int count) {
        SplittableRandom rnd = new SplittableRandom(d * 31L + count);
        int stride = d + 3;
        float[] weights = new float[count + 2];
        float[] values = new float[(count + 3) * stride];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        for (int c = 0; c < weights.length; c++) {
            weights[c] = (float) rnd.nextDouble();
        }
        float total = 3.25f;
        float[] out = new float[d + 5];
        WindowAttention.weightedSum(weights, 2, values, 1, stride, count, d, total, out, 5);
        float[] o = new float[d];
        for (int c = 0; c < count; c++) {
            Axpy.fma(weights[2 + c], values, 1 + c * stride, o, 0, d);
        }
        for (int e = 0; e < d; e++) {
            assertThat(Float.floatToRawIntBits(out[5 + e])).as("element %d", e).isEqualTo(Float.floatToRawIntBits(o[e] / total));
        }
    }
}
