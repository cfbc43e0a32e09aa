package io.spikestream.engine.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SumExpTest {
    @Test
    void maxAndSumFollowTheLaneDefinitionBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {1, 15, 16, 17, 33, 2048, 2047}) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 6);
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[3 + i]);
            }
            assertThat(SumExp.max(x, 3, n)).isEqualTo(max);

            // the definition: 16 lane accumulators, the halving tree, then the tail in order
            float[] lanes = new float[Dot.LANES];
            int bound = n - n % Dot.LANES;
            for (int i = 0; i < bound; i++) {
                lanes[i % Dot.LANES] += Exp.exp(x[3 + i] - max);
            }
            float expected = Dot.sumLanes(lanes, 0);
            for (int i = bound; i < n; i++) {
                expected += Exp.exp(x[3 + i] - max);
            }
            float sum = SumExp.sumExp(x, 3, n, max);
            assertThat(Float.floatToRawIntBits(sum)).as("n=%d", n).isEqualTo(Float.floatToRawIntBits(expected));

            double exact = 0;
            for (int i = 0; i < n; i++) {
                exact += Math.exp((double) x[3 + i] - max);
            }
            assertThat((double) sum).as("n=%d", n).isCloseTo(exact, within(exact * 2e-6));
        }
    }
}
