package io.spikestream.engine.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsTest {
    @Test
    void fastLogSigmoidGivesTheBitsOfTheStrictDefinition() {
        SplittableRandom random = new SplittableRandom(11);
        float[] special = {0f, -0f, 1e-8f, -1e-8f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1f, -1f, 16f, -16f,
            36.7f, -36.7f, 88f, -88f, 104f, -104f, 709f, 710f, 745f, 746f, -746f, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        for (float x : special) {
            assertSameBits(x);
        }
        for (int i = 0; i < 1_000_000; i++) {
            assertSameBits((float) (random.nextDouble() * 80 - 40)); // where gate logits live
            assertSameBits(Float.intBitsToFloat(random.nextInt())); // every exponent, NaNs and infinities
        }
        // neighbours of a few values: consecutive floats cross float rounding boundaries of the result
        for (float center : new float[] {-3.25f, 0.5f, 7f, -20f}) {
            int bits = Float.floatToRawIntBits(center);
            for (int d = -20_000; d <= 20_000; d++) {
                assertSameBits(Float.intBitsToFloat(bits + d));
            }
        }
    }

    /**
     * Every one of the 2^32 floats (~80 s on 2 cores, so only on request:
     * {@code mvn -pl engine test -Dtest=ActivationsTest -Dspikestream.exhaustive=true}).
     */
    @Test
    @EnabledIfSystemProperty(named = "spikestream.exhaustive", matches = "true")
    void fastLogSigmoidGivesTheStrictBitsForEveryFloat() {
        long mismatches = LongStream.range(0, 1 << 16).parallel().map(high -> {
            long bad = 0;
            for (int low = 0; low < 1 << 16; low++) {
                float x = Float.intBitsToFloat((int) (high << 16 | low));
                bad += Float.floatToRawIntBits(Activations.logSigmoid(x)) == Float.floatToRawIntBits(Activations.logSigmoidStrict(x)) ? 0 : 1;
            }
            return bad;
        }).sum();
        assertThat(mismatches).isZero();
    }

    private static void assertSameBits(float x) {
        float fast = Activations.logSigmoid(x);
        float strict = Activations.logSigmoidStrict(x);
        if (Float.floatToRawIntBits(fast) != Float.floatToRawIntBits(strict)) {
            assertThat(Float.floatToRawIntBits(fast)).as("logSigmoid(%s) = %s, strict %s", x, fast, strict)
                    .isEqualTo(Float.floatToRawIntBits(strict));
        }
    }
}
