package io.spikestream.engine.scoring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Length norms: buckets merged until they hold enough segments, robust z-scores within them, their quantiles. */
class LengthNormsTest {
    /** A line of {@code tokens} scored tokens whose mean surprisal is {@code mean} and whose background sum is {@code background}. */
    static SegmentScore line(int tokens, double mean, double background) {
        return new SegmentScore(SegmentKind.LINE, 0, 0, 0, tokens, tokens, mean * tokens, background, mean, "x");
    }

    @Test
    void aSegmentIsScoredAgainstTheSegmentsOfItsLength() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            cal.add(line(1, i, 0)); // 1 token: means 1..30
            cal.add(line(40, 3 + 0.01 * i, 0)); // 32-63 tokens: means 3.01..3.30
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, cal);
        // ranges: [1,1] (30 segments), then 2..63 (30, of which 2..31 empty), and the empty rest joins it: [2, ∞)
        assertThat(n.buckets()).extracting(LengthNorms.Bucket::minTokens).containsExactly(1, 2);
        assertThat(n.buckets()).extracting(LengthNorms.Bucket::maxTokens).containsExactly(1, -1);
        assertThat(n.bucketFor(1).median()).isEqualTo(15.5);
        assertThat(n.bucketFor(40).median()).isCloseTo(3.155, within(1e-12));
        assertThat(n.bucketFor(10)).as("a length without calibration segments borrows its range's").isEqualTo(n.bucketFor(40));
        // the same mean surprisal is ordinary for a 1-token line and extreme for a 40-token one
        assertThat(n.score(line(1, 20, 0))).isLessThan(1);
        assertThat(n.score(line(40, 20, 0))).isGreaterThan(100);
    }

    @Test
    void rangesCloseOnceTheyHoldTwentySegmentsAndAThinRemainderJoinsTheLast() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            cal.add(line(1, i, 0));
        }
        for (int i = 1; i <= 12; i++) {
            cal.add(line(2, 10 + i, 0)); // 2-3 tokens: 12
            cal.add(line(5, 20, 0)); //     4-7 tokens: 12, all the same
        }
        for (int i = 0; i < 5; i++) {
            cal.add(line(300, 1, 0)); // 256+: 5, too few
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, cal);
        assertThat(n.buckets()).extracting(LengthNorms.Bucket::minTokens).containsExactly(1, 2);
        assertThat(n.buckets()).extracting(LengthNorms.Bucket::maxTokens).containsExactly(1, -1);
        assertThat(n.buckets()).extracting(LengthNorms.Bucket::count).containsExactly(30L, 29L);
        assertThat(n.segments()).isEqualTo(59);
        LengthNorms.Bucket one = n.bucketFor(1);
        assertThat(one.median()).isEqualTo(15.5);
        assertThat(one.scale()).isCloseTo(1.4826 * 7.5, within(1e-12));
        // 2..∞: values 11..22 (12), twelve 20s, five 1s; sorted, the 15th of 29 is 20; deviations from 20: five 19s, …, zeros
        LengthNorms.Bucket rest = n.bucketFor(1000);
        assertThat(rest.median()).isEqualTo(20.0);
        assertThat(rest.scale()).as("more than half the deviations are 0 or 1; median deviation 1").isCloseTo(1.4826, within(1e-12));
        assertThat(n.score(line(1, 15.5 + 1.4826 * 7.5 * 2, 0))).isCloseTo(2.0, within(1e-12));
        assertThat(n.score(line(7, 23, 0))).isCloseTo(3 / 1.4826, within(1e-12));
        assertThat(n.score(new SegmentScore(SegmentKind.LINE, 0, 0, 0, 0, 0, 0, 0, 0, ""))).as("no score without tokens").isNaN();
        assertThat(n.quantiles().keySet()).containsExactly("p50", "p90", "p99", "p99.9", "p99.99");
        assertThat(n.quantile("p50")).as("half the segments are at or below their range's median").isLessThanOrEqualTo(0.0);
        assertThatThrownBy(() -> n.quantile("p42")).hasMessageContaining("p99.9");
    }

    @Test
    void perTokenNormsWeighTheEvidenceByTheSquareRootOfTheTokenCount() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            cal.add(line(4, 2.0, 0)); // 40 tokens at 2.0
            cal.add(line(1, 5.0, 0)); // 10 tokens at 5.0: the unweighted median would be 3.5
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.PER_TOKEN, cal);
        assertThat(n.buckets()).hasSize(1);
        LengthNorms.Bucket b = n.bucketFor(1000);
        assertThat(b.median()).as("the token-weighted median").isEqualTo(2.0);
        // |mean - 2| × √tokens: ten 0s and ten 3s, median 1.5
        assertThat(b.scale()).isCloseTo(1.4826 * 1.5, within(1e-12));
        double unit = 1 / (1.4826 * 1.5);
        assertThat(n.score(line(1, 5.0, 0))).isCloseTo(3 * unit, within(1e-12));
        assertThat(n.score(line(9, 3.0, 0))).as("one nat above over 9 tokens weighs as three over 1").isCloseTo(3 * unit, within(1e-12));
        assertThat(n.score(line(36, 3.0, 0))).isCloseTo(6 * unit, within(1e-12));
        assertThat(n.toString()).contains("per token").contains("centre 2.000");
        assertThatThrownBy(() -> new LengthNorms(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.PER_TOKEN, 5,
                List.of(new LengthNorms.Bucket(1, 1, 5, 1, 1), new LengthNorms.Bucket(2, -1, 5, 1, 1)), Map.of(), 0)).hasMessageContaining("one range");
        assertThatThrownBy(() -> LengthNorms.Form.parse("sideways")).hasMessageContaining("sideways");
    }

    @Test
    void weighedNormsLetTheEvidenceGrowWithLengthButSaturate() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            cal.add(line(10, 2.0 + 0.1 * i, 0)); // 10 tokens: 2.0 .. 2.9
            cal.add(line(40, 3.0 + 0.1 * i, 0)); // 40 tokens: 3.0 .. 3.9
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.PARAGRAPH, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.WEIGHED, cal);
        // 20 segments close the first range at 32-63 tokens: one range, median (2.9 + 3.0) / 2, deviations 0.05 .. 0.95 in pairs
        assertThat(n.buckets()).hasSize(1);
        assertThat(n.bucketFor(10).median()).isCloseTo(2.95, within(1e-12));
        assertThat(n.bucketFor(10).scale()).isCloseTo(1.4826 * 0.5, within(1e-12));
        assertThat(n.weightTokens()).as("the median token count: (10 + 40) / 2").isEqualTo(25.0);
        double oneScale = 2.95 + 1.4826 * 0.5;
        assertThat(n.score(line(25, oneScale, 0))).as("z = 1 at the median length: 1/√2").isCloseTo(Math.sqrt(0.5), within(1e-12));
        assertThat(n.score(line(100, oneScale, 0))).isCloseTo(Math.sqrt(0.8), within(1e-12));
        assertThat(n.score(line(1, oneScale, 0))).isCloseTo(Math.sqrt(1.0 / 26), within(1e-12));
        assertThat(n.score(line(1_000_000, oneScale, 0))).as("saturates at the plain z").isCloseTo(1.0, within(1e-4));
        // a short segment's higher z can rank below a long one's: 2 tokens at z = 3 against 50 tokens at z = 1.5
        assertThat(n.score(line(2, 2.95 + 3 * 1.4826 * 0.5, 0))).isLessThan(n.score(line(50, 2.95 + 1.5 * 1.4826 * 0.5, 0)));
        assertThat(n.toString()).contains("by length, weighed").contains("25.0");
        assertThatThrownBy(() -> new LengthNorms(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.WEIGHED, 5,
                List.of(new LengthNorms.Bucket(1, -1, 5, 1, 1)), Map.of(), 0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new LengthNorms(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.BY_LENGTH, 5,
                List.of(new LengthNorms.Bucket(1, -1, 5, 1, 1)), Map.of(), 25)).hasMessageContaining("only weighed norms");
    }

    @Test
    void aBucketWithoutSpreadHasTheSmallestScale() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            cal.add(line(20, 2.0, 0));
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, cal);
        assertThat(n.bucketFor(20).scale()).isEqualTo(LengthNorms.MIN_SCALE);
        assertThat(n.score(line(20, 2.5, 0))).isCloseTo(0.5 / LengthNorms.MIN_SCALE, within(1e-9));
    }

    @Test
    void contextualSurprisalSubtractsTheBackgroundPerToken() {
        List<SegmentScore> cal = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            cal.add(line(10, 5.0, 10 * (3.0 + 0.1 * i))); // contextual means 2.0, 1.9, …, 0.0: median 1.0
        }
        LengthNorms n = LengthNorms.fit(SegmentKind.PARAGRAPH, LengthNorms.Statistic.CONTEXTUAL, cal);
        assertThat(n.bucketFor(10).median()).isCloseTo(1.0, within(1e-12));
        // deviations 1.0, 0.9, …, 0.1, 0, 0.1, …, 1.0: median 0.5
        assertThat(n.bucketFor(10).scale()).isCloseTo(1.4826 * 0.5, within(1e-12));
        assertThat(n.score(line(10, 6.0, 30.0))).as("(6 - 3) - 1 = 2 above the median").isCloseTo(2 / (1.4826 * 0.5), within(1e-12));
        assertThat(n.score(line(10, 6.0, Double.NaN))).as("no background sum, no contextual score").isNaN();
    }

    @Test
    void tooLittleTextOrBrokenRangesAreRefused() {
        assertThatThrownBy(() -> LengthNorms.fit(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, List.of(line(3, 1, 0))))
                .hasMessageContaining("too little normal text").hasMessageContaining("1 scored segments");
        LengthNorms.Bucket b = new LengthNorms.Bucket(2, -1, 5, 1, 1);
        assertThatThrownBy(() -> new LengthNorms(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.BY_LENGTH, 5, List.of(b), Map.of(), 0))
                .hasMessageContaining("from 1 token to no limit");
        LengthNorms.Bucket a = new LengthNorms.Bucket(1, 5, 5, 1, 1);
        assertThatThrownBy(() -> new LengthNorms(SegmentKind.LINE, LengthNorms.Statistic.SURPRISAL, LengthNorms.Form.BY_LENGTH, 5, List.of(a, b), Map.of(), 0))
                .hasMessageContaining("powers of two");
        assertThatThrownBy(() -> new LengthNorms.Bucket(1, -1, 5, 1, 0)).hasMessageContaining("positive scale");
        assertThatThrownBy(() -> LengthNorms.Statistic.parse("vibes")).hasMessageContaining("vibes");
    }
}
