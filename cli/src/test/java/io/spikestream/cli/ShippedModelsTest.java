package io.spikestream.cli;

import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped demo models: their calibrations come from the README's commands, and their alerts find the anomalies. */
class ShippedModelsTest {
    @TempDir
    Path tmp;

    @Test
    void bothCalibrationsAreReproducedByTheReadmeCommand() throws Exception {
        for (String name : new String[] {"demo-logs", "demo-logs-w8aspike"}) {
            Path shipped = TestData.repositoryRoot().resolve("models").resolve(name);
            Path copy = Files.createDirectories(tmp.resolve(name));
            for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json"}) {
                Files.copy(shipped.resolve(f), copy.resolve(f));
            }
            CliRun run = CliRun.run("", "calibrate", "--model", copy.toString(), "--generate-logs", "40000", "--log-hosts", "20", "--seed", "1");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(Files.readString(copy.resolve("calibration.json"))).as(name).isEqualTo(Files.readString(shipped.resolve("calibration.json")));
        }
    }

    @Test
    void alertsAtTheDefaultThresholdFindTheInjectedAnomaliesOfTheReadmeStream() throws Exception {
        Path log = tmp.resolve("eval.log");
        Path labels = tmp.resolve("labels.jsonl");
        Files.writeString(log, CliRun.run("", "logs", "--lines", "5000", "--seed", "777", "--anomaly-rate", "0.02", "--labels",
                labels.toString()).out());
        Path model = TestData.repositoryRoot().resolve("models").resolve("demo-logs");
        CliRun run = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--labels", labels.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        // measured (README, Measured): precision 0.8039, recall 0.9318 by line; 0.9804, 0.9318 by event; AUC 0.9984
        Matcher line = Pattern.compile("alerts at p99\\.9 \\(1\\.2472 nats/token\\): precision ([\\d.]+), recall ([\\d.]+)").matcher(run.out());
        assertThat(line.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(line.group(1))).isGreaterThanOrEqualTo(0.75);
        assertThat(Double.parseDouble(line.group(2))).isGreaterThanOrEqualTo(0.90);
        Matcher event = Pattern.compile("alerts by event: precision ([\\d.]+), recall ([\\d.]+)").matcher(run.out());
        assertThat(event.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(event.group(1))).isGreaterThanOrEqualTo(0.95);
        assertThat(Double.parseDouble(event.group(2))).isGreaterThanOrEqualTo(0.90);
        Matcher auc = Pattern.compile("ROC AUC of line scores: mean surprisal ([\\d.]+)").matcher(run.out());
        assertThat(auc.find()).isTrue();
        assertThat(Double.parseDouble(auc.group(1))).isGreaterThanOrEqualTo(0.995);
    }
}
