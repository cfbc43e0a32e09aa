package io.spikestream.engine.spiking;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every coding decodes exactly, on random counts including 0, negative and large values. */
class SpikeTrainsTest {

    private static int[] randomCounts(SplittableRandom rnd, boolean signed) {
        int[] c = new int[257];
        for (int i = 0; i < c.length; i++) {
            int v = switch (rnd.nextInt(4)) {
                case 0 -> 0;
                case 1 -> rnd.nextInt(8);
                case 2 -> rnd.nextInt(100);
                default -> rnd.nextInt(3000);
            };
            c[i] = signed && rnd.nextBoolean() ? -v : v;
        }
        c[3] = 0;
        c[4] = signed ? -2999 : 2999;
        return c;
    }

    @ParameterizedTest
    @EnumSource(SpikeCoding.class)
    void everyCodingDecodesExactly(SpikeCoding coding) {
        SplittableRandom rnd = new SplittableRandom(coding.ordinal() + 11);
        for (int trial = 0; trial < 20; trial++) {
            int[] counts = randomCounts(rnd, coding != SpikeCoding.BINARY);
            SpikeTrain train = SpikeTrains.encode(counts, coding);
            assertThat(SpikeTrains.decode(train)).isEqualTo(counts);
            for (byte e : train.events()) {
                assertThat((int) e).isBetween(-1, 1);
            }
        }
    }

    @Test
    void stepsAndEventsFollowTheDefinitions() {
        int[] counts = {0, 5, -3, 1, 7};
        SpikeTrain bitwise = SpikeTrains.encode(counts, SpikeCoding.BITWISE);
        assertThat(bitwise.steps()).isEqualTo(3); // ceil(log2(7 + 1))
        // 5 = 101: most significant first
        assertThat(new int[] {bitwise.event(0, 1), bitwise.event(1, 1), bitwise.event(2, 1)}).containsExactly(1, 0, 1);
        assertThat(new int[] {bitwise.event(0, 2), bitwise.event(1, 2), bitwise.event(2, 2)}).containsExactly(0, -1, -1);
        assertThat(bitwise.spikeCount()).isEqualTo(2 + 2 + 1 + 3); // one per 1-bit
        SpikeTrain ternary = SpikeTrains.encode(counts, SpikeCoding.TERNARY);
        assertThat(ternary.steps()).isEqualTo(7);
        assertThat(ternary.spikeCount()).isEqualTo(5 + 3 + 1 + 7);
        assertThat(ternary.event(2, 2)).isEqualTo(-1);
        assertThat(ternary.event(3, 2)).isEqualTo(0);
        SpikeTrain zeros = SpikeTrains.encode(new int[] {0, 0}, SpikeCoding.BITWISE);
        assertThat(zeros.steps()).isEqualTo(1);
        assertThat(SpikeTrains.decode(zeros)).containsExactly(0, 0);
        assertThat(SpikeTrains.encode(new int[] {1}, SpikeCoding.BITWISE).steps()).isEqualTo(1);
        assertThat(SpikeTrains.encode(new int[] {8}, SpikeCoding.BITWISE).steps()).isEqualTo(4);
    }

    @Test
    void binaryCodingRefusesNegativeCounts() {
        assertThatThrownBy(() -> SpikeTrains.encode(new int[] {1, -2}, SpikeCoding.BINARY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count 1 is -2");
    }

    @Test
    void spikesOfAnActivationRoundTripThroughTheirTrains() {
        float[] x = new float[64];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Spikes s = Spikes.encode(x, 1, x.length);
        int[] counts = SpikeTrains.counts(s, 0);
        assertThat(SpikeTrains.decode(SpikeTrains.encode(counts, SpikeCoding.BITWISE))).isEqualTo(counts);
        assertThat(SpikeTrains.decode(SpikeTrains.encode(counts, SpikeCoding.TERNARY))).isEqualTo(counts);
    }
}
