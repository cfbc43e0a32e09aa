package io.spikestream.engine.scoring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** calibration.json: the quantiles, their file, and the thresholds taken from them. */
class CalibrationTest {
    @TempDir
    Path dir;

    /** Lines with means 1, 2, ..., 101 nats/token (shuffled), and one line without a scored token. */
    static List<LineScore> lines() {
        List<LineScore> lines = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            int v = 1 + (i * 37) % 101;
            lines.add(new LineScore(i, 0, 10, 3L * i, 3L * i + 3, 2, 2.0 * v, v + 0.5, "line " + i));
        }
        lines.add(new LineScore(101, 0, 0, 303, 303, 0, 0, 0, ""));
        return lines;
    }

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        Calibration c = Calibration.of(lines(), "test");
        assertThat(c.lines()).as("the line without a scored token is left out").isEqualTo(101);
        assertThat(c.quantiles().keySet()).containsExactly("p50", "p90", "p99", "p99.9", "p99.99");
        // R-7 on x = 1..101: h = 100 q, so quantile q is 1 + 100 q
        assertThat(c.quantile("p50")).isEqualTo(51.0);
        assertThat(c.quantile("p90")).isEqualTo(91.0);
        assertThat(c.quantile("p99")).isEqualTo(100.0);
        assertThat(c.quantile("p99.9")).isCloseTo(100.9, within(1e-12));
        assertThat(c.quantile("p99.99")).isCloseTo(100.99, within(1e-12));
        assertThatThrownBy(() -> c.quantile("p42")).hasMessageContaining("p42").hasMessageContaining("p99.9");
    }

    @Test
    void theFileRoundTripsExactly() throws Exception {
        Calibration c = Calibration.of(lines(), "held-out \"text\"");
        c.write(dir);
        Calibration back = Calibration.read(dir).orElseThrow();
        assertThat(back).isEqualTo(c);
        assertThat(Files.readString(dir.resolve(Calibration.FILE))).contains("\"lines\": 101").contains("\"p99.9\": 100.9");
        assertThat(Calibration.read(dir.resolve("nowhere"))).isEmpty();
        Files.writeString(dir.resolve(Calibration.FILE), "{\"lines\": 3, \"quantiles\": {\"p99\": \"high\"}}");
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining(Calibration.FILE).hasMessageContaining("p99");
        Files.writeString(dir.resolve(Calibration.FILE), "{\"lines\": 3,");
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("not valid JSON");
    }

    @Test
    void thresholdsComeFromTheCalibrationOrAreGivenInNats() throws Exception {
        assertThat(AlertThreshold.resolve(null, dir)).as("no calibration, nothing asked: no alerts").isEmpty();
        assertThatThrownBy(() -> AlertThreshold.resolve("p99.9", dir)).hasMessageContaining("calibration.json").hasMessageContaining("calibrate");
        assertThat(AlertThreshold.resolve("2.5", dir)).contains(new AlertThreshold("2.5", 2.5));
        assertThatThrownBy(() -> AlertThreshold.resolve("high", dir)).hasMessageContaining("--alert-threshold");
        Calibration.of(lines(), "test").write(dir);
        AlertThreshold t = AlertThreshold.resolve(null, dir).orElseThrow();
        assertThat(t.name()).isEqualTo("p99.9");
        assertThat(t.value()).isEqualTo(Calibration.read(dir).orElseThrow().quantile("p99.9"));
        assertThat(AlertThreshold.resolve("p99", dir)).contains(new AlertThreshold("p99", 100.0));
        assertThat(AlertThreshold.resolve("off", dir)).isEmpty();
        // strictly above: a line scoring exactly the threshold is not an alert, one ulp more is
        AlertThreshold at100 = new AlertThreshold("p99", 100.0);
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 200.0, 100, "a line"))).isFalse();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 2 * Math.nextUp(100.0), 100, "a line"))).isTrue();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 0, 0, 0, 0, "a line"))).as("a line without a scored token").isFalse();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 400.0, 300, " \t"))).as("a blank line").isFalse();
    }

    /** A document of 40 paragraphs of three lines (6, 20 and 40 tokens), blank lines between, and a heading. */
    static List<SegmentScore> document() {
        List<SegmentScore> lines = new ArrayList<>();
        long position = 0;
        int n = 0;
        for (int p = 0; p < 40; p++) {
            for (int k = 0; k < 3; k++) {
                int tokens = k == 0 ? 6 : k == 1 ? 20 : 40;
                double mean = 1 + 0.05 * ((p * 7 + k * 3) % 40);
                lines.add(SegmentScore.of(new LineScore(n++, 0, 5, position, position + tokens, tokens, mean * tokens, mean + 1, "text"),
                        0.5 * tokens));
                position += tokens;
            }
            lines.add(SegmentScore.of(new LineScore(n++, 0, 0, position, position + 1, 1, 9, 9, ""), 0.5));
            position++;
        }
        return lines;
    }

    @Test
    void proseLinesArePerTokenAndRoundTrip() throws Exception {
        Calibration c = Calibration.fit(List.of(document()), new Background(new long[]{1, 2, 3, 4}), "prose", LengthNorms.Form.PER_TOKEN);
        LengthNorms lines = c.norms(SegmentKind.LINE).orElseThrow();
        assertThat(lines.form()).isEqualTo(LengthNorms.Form.PER_TOKEN);
        assertThat(lines.statistic()).as("prose lines with a background: contextual").isEqualTo(LengthNorms.Statistic.CONTEXTUAL);
        assertThat(lines.buckets()).hasSize(1);
        assertThat(c.norms(SegmentKind.PARAGRAPH).orElseThrow().form()).as("paragraphs stay by length, weighed").isEqualTo(LengthNorms.Form.WEIGHED);
        c.write(dir);
        assertThat(Files.readString(dir.resolve(Calibration.FILE))).contains("\"form\": \"per token\"")
                .contains("\"form\": \"by length, weighed\", \"weight_tokens\": 66.0");
        assertThat(Calibration.read(dir).orElseThrow()).isEqualTo(c);
    }

    @Test
    void lengthNormsAndTheBackgroundRoundTripAndDecideTheThresholds() throws Exception {
        Background background = new Background(new long[]{5, 0, 3, 1_000_000_007L});
        Calibration c = Calibration.fit(List.of(document()), background, "test");
        assertThat(c.lines()).as("blank lines are not calibrated").isEqualTo(120);
        LengthNorms lines = c.norms(SegmentKind.LINE).orElseThrow();
        LengthNorms paragraphs = c.norms(SegmentKind.PARAGRAPH).orElseThrow();
        assertThat(lines.statistic()).isEqualTo(LengthNorms.Statistic.SURPRISAL);
        assertThat(lines.buckets()).extracting(LengthNorms.Bucket::count).containsExactly(40L, 40L, 40L);
        assertThat(paragraphs.statistic()).as("with a background, paragraphs by contextual surprisal").isEqualTo(LengthNorms.Statistic.CONTEXTUAL);
        assertThat(paragraphs.segments()).isEqualTo(40);
        assertThat(paragraphs.form()).isEqualTo(LengthNorms.Form.WEIGHED);
        assertThat(paragraphs.weightTokens()).as("every paragraph has 6 + 20 + 40 tokens").isEqualTo(66.0);
        c.write(dir);
        String file = Files.readString(dir.resolve(Calibration.FILE));
        assertThat(file).contains("\"version\": \"0.4\"").contains("\"line_norms\"").contains("\"paragraph_norms\"")
                .contains("\"background_counts\": [5,0,3,1000000007]");
        Calibration back = Calibration.read(dir).orElseThrow();
        assertThat(back).isEqualTo(c);
        assertThat(back.background().surprisals()[1]).as("add-one: an unseen token").isEqualTo(-Math.log(1.0 / (1_000_000_015L + 4)));

        AlertThreshold t = AlertThreshold.resolve(null, dir).orElseThrow();
        assertThat(t.lengthAware()).isTrue();
        assertThat(t.value()).isEqualTo(lines.quantile("p99.9"));
        LineScore line = new LineScore(0, 0, 0, 10, 30, 20, 20 * 2.0, 3, "a line");
        double z = lines.score(SegmentScore.of(line, Double.NaN));
        assertThat(t.score(line)).isEqualTo(z);
        assertThat(new AlertThreshold("x", Math.nextDown(z), lines).exceeded(line)).isTrue();
        assertThat(new AlertThreshold("x", z, lines).exceeded(line)).as("strictly above").isFalse();
        assertThat(AlertThreshold.resolve("2.5", dir).orElseThrow().lengthAware()).as("a number is nats per token").isFalse();
        assertThat(AlertThreshold.resolve("p99", dir, SegmentKind.PARAGRAPH).orElseThrow().value()).isEqualTo(paragraphs.quantile("p99"));

        // a 0.2 file: no norms, thresholds on mean surprisal, and a paragraph threshold is refused with the reason
        Calibration.of(lines(), "old").write(dir);
        assertThat(Calibration.read(dir).orElseThrow().norms()).isEmpty();
        assertThat(AlertThreshold.resolve(null, dir)).contains(new AlertThreshold("p99.9", Calibration.read(dir).orElseThrow().quantile("p99.9")));
        assertThatThrownBy(() -> AlertThreshold.resolve(null, dir, SegmentKind.PARAGRAPH)).hasMessageContaining("no paragraph calibration");

        // broken norms are refused with where they are
        Files.writeString(dir.resolve(Calibration.FILE), file.replace("\"statistic\": \"surprisal\"", "\"statistic\": \"vibes\""));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("line_norms").hasMessageContaining("vibes");
        Files.writeString(dir.resolve(Calibration.FILE), file.replace("[5,0,3,", "[5,-1,3,"));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("background_counts[1]");
        Files.writeString(dir.resolve(Calibration.FILE), file.replaceFirst("\"min_tokens\": 1,", "\"min_tokens\": 3,"));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("line_norms").hasMessageContaining("from 1 token");
        Files.writeString(dir.resolve(Calibration.FILE), file.replace("\"form\": \"by length\"", "\"form\": \"sideways\""));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("line_norms").hasMessageContaining("sideways");
        Files.writeString(dir.resolve(Calibration.FILE), file.replace("\"weight_tokens\": 66.0", "\"weight_tokens\": -3"));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("paragraph_norms").hasMessageContaining("at least 1, got -3.0");
        Files.writeString(dir.resolve(Calibration.FILE), file.replace(", \"weight_tokens\": 66.0", ""));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("paragraph_norms").hasMessageContaining("median token count");
        Files.writeString(dir.resolve(Calibration.FILE), file.replace("\"weight_tokens\": 66.0", "\"weight_tokens\": \"many\""));
        assertThatThrownBy(() -> Calibration.read(dir)).hasMessageContaining("paragraph_norms").hasMessageContaining("must be a number");
        // a file of the first 0.3 has no form: its norms are by length; a 0.3 file's paragraphs are by length, unweighed
        String old = file.replace("\"form\": \"by length\", ", "").replace("\"form\": \"by length, weighed\", \"weight_tokens\": 66.0", "\"form\": \"by length\"");
        Files.writeString(dir.resolve(Calibration.FILE), old);
        Calibration read = Calibration.read(dir).orElseThrow();
        assertThat(read.norms(SegmentKind.LINE)).isEqualTo(c.norms(SegmentKind.LINE));
        LengthNorms unweighed = read.norms(SegmentKind.PARAGRAPH).orElseThrow();
        assertThat(unweighed.form()).isEqualTo(LengthNorms.Form.BY_LENGTH);
        assertThat(unweighed.buckets()).isEqualTo(paragraphs.buckets());
        SegmentScore p = Segments.paragraphs(document()).get(3);
        assertThat(paragraphs.score(p)).as("weighed: × √(66 / (66 + 66))").isEqualTo(unweighed.score(p) * Math.sqrt(0.5));
    }
}
