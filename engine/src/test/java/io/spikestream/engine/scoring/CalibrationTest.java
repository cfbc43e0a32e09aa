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
        assertThat(t.nats()).isEqualTo(Calibration.read(dir).orElseThrow().quantile("p99.9"));
        assertThat(AlertThreshold.resolve("p99", dir)).contains(new AlertThreshold("p99", 100.0));
        assertThat(AlertThreshold.resolve("off", dir)).isEmpty();
        // strictly above: a line scoring exactly the threshold is not an alert, one ulp more is
        AlertThreshold at100 = new AlertThreshold("p99", 100.0);
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 200.0, 100, "a line"))).isFalse();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 2 * Math.nextUp(100.0), 100, "a line"))).isTrue();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 0, 0, 0, 0, "a line"))).as("a line without a scored token").isFalse();
        assertThat(at100.exceeded(new LineScore(0, 0, 0, 0, 2, 2, 400.0, 300, " \t"))).as("a blank line").isFalse();
    }
}
