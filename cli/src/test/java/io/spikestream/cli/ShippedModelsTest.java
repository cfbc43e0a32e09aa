package io.spikestream.cli;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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
    void theLegalModelsCalibrationIsTrainsReproducedFromItsCorpus() throws Exception {
        Path shipped = TestData.repositoryRoot().resolve("models").resolve("demo-legal");
        Path copy = Files.createDirectories(tmp.resolve("demo-legal"));
        for (String f : new String[] {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json"}) {
            Files.copy(shipped.resolve(f), copy.resolve(f));
        }
        Path corpus = TestData.repositoryRoot().resolve("data/legal/corpus.jsonl.gz");
        CliRun run = CliRun.run("", "calibrate", "--model", copy.toString(), "--corpus", corpus.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, Object> made = new java.util.HashMap<>(Json.parseObject(Files.readString(copy.resolve("calibration.json"))));
        Map<String, Object> kept = new java.util.HashMap<>(Json.parseObject(Files.readString(shipped.resolve("calibration.json"))));
        // the source names the corpus as it was given (the README's command gives it relative to the checkout)
        assertThat(made.get("source")).isEqualTo("held-out files of [" + corpus + "]");
        made.remove("source");
        kept.remove("source");
        assertThat(made).isEqualTo(kept);
    }

    @Test
    void noBlankLineIsRankedAmongTheMostSurprisingOrAlerted() throws Exception {
        // the bundled agreement, its paragraphs between blank lines: under the legal model a lone newline after a
        // line that ended is the most surprising thing in it (8-9 nats/token), and used to top the list
        String text;
        try (var in = ShippedModelsTest.class.getResourceAsStream("/io/spikestream/demo/documents/master-services-agreement.txt")) {
            // and more blank lines, some of spaces and tabs, between its paragraphs
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).replace("\n\n", "\n\n  \n\t\n\n");
        }
        java.util.List<String> lines = java.util.List.of(text.split("\n", -1));
        long blank = lines.stream().filter(String::isBlank).count();
        assertThat(blank).as("blank lines in the agreement").isGreaterThan(40);
        Path file = Files.writeString(tmp.resolve("agreement.txt"), text);
        Path model = TestData.repositoryRoot().resolve("models").resolve("demo-legal");
        CliRun run = CliRun.run("", "score-lines", "--model", model.toString(), "--log", file.toString(), "--top", "100000");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher m = Pattern.compile("(?m)^ +-?[\\d.]+ +-?[\\d.]+  line (\\d+) ").matcher(run.out());
        java.util.Set<Integer> ranked = new java.util.TreeSet<>();
        while (m.find()) {
            ranked.add(Integer.parseInt(m.group(1)));
        }
        java.util.Set<Integer> content = new java.util.TreeSet<>();
        for (int i = 1; i < lines.size(); i++) { // the first line has no context: its only token is unscored when it is one token
            if (!lines.get(i).isBlank() && !(i == lines.size() - 1 && lines.get(i).isEmpty())) {
                content.add(i + 1);
            }
        }
        assertThat(ranked).as("ranked: the lines with text, and none other").containsAll(content)
                .allSatisfy(n -> assertThat(lines.get(n - 1)).isNotBlank());
        // at a threshold of 0 nats every scored line alerts: the blank ones still do not
        Path labels = Files.writeString(tmp.resolve("labels.jsonl"), "{\"line\": 0}\n");
        CliRun alerts = CliRun.run("", "score-lines", "--model", model.toString(), "--log", file.toString(), "--labels", labels.toString(),
                "--alert-threshold", "0");
        Matcher a = Pattern.compile("\\((\\d+) of (\\d+) lines above are anomalous").matcher(alerts.out());
        assertThat(a.find()).as(alerts.out()).isTrue();
        assertThat(Long.parseLong(a.group(2))).isEqualTo(ranked.size());
    }

    @Test
    void incidentsAtTheDefaultThresholdMeetTheGoalsOnTheReadmeStreamAndAnotherSeed() throws Exception {
        Path model = TestData.repositoryRoot().resolve("models").resolve("demo-logs");
        for (String seed : new String[] {"777", "2024"}) {
            Path log = tmp.resolve("eval-" + seed + ".log");
            Path labels = tmp.resolve("labels-" + seed + ".jsonl");
            Files.writeString(log, CliRun.run("", "logs", "--lines", "5000", "--seed", seed, "--anomaly-rate", "0.02", "--labels",
                    labels.toString()).out());
            CliRun run = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--labels", labels.toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
            // measured (README, Measured): seed 777 1.0000 / 0.9545 by first line, 1.0000 / 0.9659 by event; seed 2024 1.0000 / 0.9882 both
            Matcher line = Pattern.compile("incidents at p99\\.9 \\(gap 0\\): \\d+ incidents; by first line: precision ([\\d.]+), recall ([\\d.]+)")
                    .matcher(run.out());
            assertThat(line.find()).as(run.out()).isTrue();
            assertThat(Double.parseDouble(line.group(1))).as("seed " + seed).isGreaterThanOrEqualTo(0.9);
            assertThat(Double.parseDouble(line.group(2))).as("seed " + seed).isGreaterThanOrEqualTo(0.9);
            Matcher event = Pattern.compile("incidents by event: precision ([\\d.]+), recall ([\\d.]+)").matcher(run.out());
            assertThat(event.find()).as(run.out()).isTrue();
            assertThat(Double.parseDouble(event.group(1))).as("seed " + seed).isGreaterThanOrEqualTo(0.95);
            assertThat(Double.parseDouble(event.group(2))).as("seed " + seed).isGreaterThanOrEqualTo(0.9);
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
        // measured (README, Measured): precision 1.0000, recall 0.9659 by line and by event; AUC 0.9998 (mean surprisal
        // at 1.2472 nats/token, before 0.3: 0.8039 / 0.9318 by line)
        Matcher line = Pattern.compile("alerts at p99\\.9 \\(([\\d.]+) length-aware score\\): precision ([\\d.]+), recall ([\\d.]+)").matcher(run.out());
        assertThat(line.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(line.group(1))).as("the p99.9 of the calibration's line scores").isEqualTo(11.4569);
        assertThat(Double.parseDouble(line.group(2))).isGreaterThanOrEqualTo(0.9);
        assertThat(Double.parseDouble(line.group(3))).isGreaterThanOrEqualTo(0.9);
        Matcher event = Pattern.compile("alerts by event: precision ([\\d.]+), recall ([\\d.]+)").matcher(run.out());
        assertThat(event.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(event.group(1))).isGreaterThanOrEqualTo(0.95);
        assertThat(Double.parseDouble(event.group(2))).isGreaterThanOrEqualTo(0.90);
        Matcher auc = Pattern.compile("ROC AUC of line scores: mean surprisal ([\\d.]+)").matcher(run.out());
        assertThat(auc.find()).isTrue();
        assertThat(Double.parseDouble(auc.group(1))).isGreaterThanOrEqualTo(0.995);
        Matcher z = Pattern.compile("ROC AUC of the length-aware score: ([\\d.]+)").matcher(run.out());
        assertThat(z.find()).as(run.out()).isTrue();
        assertThat(Double.parseDouble(z.group(1))).as("measured 0.9998").isGreaterThanOrEqualTo(0.999);
    }
}
