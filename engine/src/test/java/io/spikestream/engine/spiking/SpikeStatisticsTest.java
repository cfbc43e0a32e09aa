package io.spikestream.engine.spiking;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Spike encoding and accounting on hand-made activations whose counts are known. */
class SpikeStatisticsTest {

    @Test
    void thresholdIsMeanAbsOverThreeAndCountsRoundHalfToEven() {
        // mean |x| = 3 → V_th = 1: counts are round(x), half to even.
        float[] x = {2.5f, -0.5f, 1.5f, 7f, -7f, 0.49f, 0f, 2.01f};
        double sum = 0;
        for (float v : x) {
            sum += Math.abs(v);
        }
        float[] scaled = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            scaled[i] = (float) (x[i] * (3.0 * x.length / sum));
        }
        Spikes s = Spikes.encode(scaled, 1, x.length);
        assertThat((double) s.threshold(0)).isCloseTo(1.0, within(1e-6));
        Spikes exact = Spikes.encode(new float[] {2.5f, -0.5f, 1.5f, 3.5f, -3.5f, 0f}, 1, 6); // mean 11.5/6
        assertThat(exact.threshold(0)).isEqualTo((float) (11.5 / 6 / 3));
        assertThat(exact.count(0, 0)).isEqualTo((int) Math.rint(2.5 / (11.5 / 18)));
        // Half to even at exact boundaries: x / V_th = 0.5, 1.5, 2.5, -2.5 with V_th = 1 (mean |x| = 3).
        Spikes unit = Spikes.encode(new float[] {0.5f, 1.5f, 2.5f, -2.5f, 6f, 5f}, 1, 6);
        assertThat(unit.threshold(0)).isEqualTo(1f);
        assertThat(new int[] {unit.count(0, 0), unit.count(0, 1), unit.count(0, 2), unit.count(0, 3), unit.count(0, 4), unit.count(0, 5)})
                .containsExactly(0, 2, 2, -2, 6, 5);
        assertThat(unit.maxAbs(0)).isEqualTo(6);
    }

    @Test
    void thresholdIsClampedAndZeroInputIsSilent() {
        Spikes zero = Spikes.encode(new float[4], 1, 4);
        assertThat(zero.threshold(0)).isEqualTo((float) Spikes.MIN_THRESHOLD);
        assertThat(zero.maxAbs(0)).isZero();
        Spikes huge = Spikes.encode(new float[] {3e5f, -3e5f}, 1, 2);
        assertThat(huge.threshold(0)).isEqualTo((float) Spikes.MAX_THRESHOLD);
        assertThat(huge.count(0, 0)).isEqualTo(30);
    }

    @Test
    void perHeadThresholdsForQueries() {
        float[] q = {3, 3, 3, 3, 30, 0, 0, 0};
        Spikes s = Spikes.encode(q, 1, 8, 4);
        assertThat(s.thresholds()).containsExactly(1f, 2.5f);
        assertThat(s.count(0, 0)).isEqualTo(3);
        assertThat(s.count(0, 4)).isEqualTo(12);
        float[] back = new float[8];
        s.dequantize(back);
        assertThat(back).containsExactly(3, 3, 3, 3, 30, 0, 0, 0);
    }

    @Test
    void summaryCountsEverySpikeAndTheEnergyOfEachSite() {
        List<SpikeSite> sites = List.of(new SpikeSite(0, SpikeSite.Kind.ATTENTION_INPUT, 4, 10),
                new SpikeSite(0, SpikeSite.Kind.QUERY, 4, 0));
        EnergyModel energy = new EnergyModel(1000, 100);
        SpikeStatistics stats = new SpikeStatistics(sites, energy);
        stats.addTokens(2);
        // mean |x| = 3 per token → V_th = 1; counts {0, 3, -5, 4} and {0, 0, 7, 5}
        stats.record(0, Spikes.encode(new float[] {0, 3, -5, 4, 0, 0, 7, 5}, 2, 4));
        stats.record(1, Spikes.encode(new float[] {0, 0, 0, 12, 0, 0, 0, 12}, 2, 4));
        SpikeSummary s = stats.summary();
        assertThat(s.activations()).isEqualTo(16);
        assertThat(s.zeroFraction()).isEqualTo(9 / 16.0);
        assertThat(s.meanAbs()).isEqualTo((3 + 5 + 4 + 7 + 5 + 12 + 12) / 16.0);
        // 1-bits: 3→2, 5→2, 4→1, 7→3, 5→2, 12→2, 12→2
        assertThat(s.meanBitwise()).isEqualTo((2 + 2 + 1 + 3 + 2 + 2 + 2) / 16.0);
        assertThat(s.maxAbs()).isEqualTo(12);
        // silent: feature 0 of site 0; features 0,1,2 of site 1 → 4 of 8 channels
        assertThat(s.silentChannelFraction()).isEqualTo(0.5);
        // energy: site 0 has 10 bits × 10 rows of adds, site 1 feeds no projection
        assertThat(s.spikingPicojoulesPerToken()).isEqualTo(10 * 10 * 0.03 / 2 + 100 * 1.5);
        assertThat(s.densePicojoulesPerToken()).isEqualTo(1000 * 1.5);
        assertThat(stats.skippedFraction()).isEqualTo(3 / 8.0);
    }
}
