package io.spikestream.cli;

import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./spikestream demo} end to end: embedded broker, MiniCluster job, generated model, summary. */
class DemoITCase {
    @TempDir
    Path tmp;

    @Test
    void theDemoStreamsDocumentsAnswersQuestionsAndSummarizes() throws Exception {
        String contract = "WHEREAS the Licensor wishes to grant a licence; Either Party may terminate upon notice.\n".repeat(8);
        String log = "2026-11-02T01:01:07.001Z WARN  [payments-2] upstream ledger timed out after 30000 ms\n".repeat(10);
        Path a = Files.writeString(tmp.resolve("contract.txt"), contract);
        Path b = Files.writeString(tmp.resolve("service.log"), log);
        Path work = tmp.resolve("work");
        CliRun run = CliRun.run("", "demo", "--work-dir", work.toString(), "--documents", a.toString(), b.toString(),
                "--chunk-bytes", "300", "--checkpoint-interval", "300ms", "--timeout", "300");
        assertThat(run.exitCode()).as(run.err() + run.out()).isZero();
        String out = run.out();
        assertThat(out).contains("RANDOM WEIGHTS").contains("published contract").contains("published service")
                .contains("ANSWER q-summary").contains("ANSWER q-topic").contains("summary").contains("documents        2");

        // The token counts the stream reports are those of tokenizing each document in one piece.
        Tokenizer tokenizer = Tokenizer.load(work.resolve("model"));
        assertThat(endTokens(out, "contract")).isEqualTo(tokenizer.encode(contract, TokenizerMode.LITERAL).length);
        assertThat(endTokens(out, "service")).isEqualTo(tokenizer.encode(log, TokenizerMode.LITERAL).length);
        // One CHUNK line per chunk, in order, contiguous token ranges.
        Matcher m = Pattern.compile("service +chunk (\\d+) +tokens +(\\d+)\\.\\.(\\d+)").matcher(out);
        long next = 0;
        int seq = 0;
        while (m.find()) {
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(seq++);
            assertThat(Long.parseLong(m.group(2))).isEqualTo(next);
            next = Long.parseLong(m.group(3));
        }
        assertThat(seq).isGreaterThan(2);
        assertThat(next).isEqualTo(endTokens(out, "service"));
    }

    @Test
    void theShippedSpikingModelRunsTheDemoAndShowsItsSpikes() throws Exception {
        Path model = io.spikestream.engine.testing.TestData.repositoryRoot().resolve("models").resolve("demo-logs-w8aspike");
        String log = "2026-11-02T01:01:07.001Z WARN  [payments-2] upstream ledger timed out after 30000 ms\n".repeat(12);
        Path b = Files.writeString(tmp.resolve("service.log"), log);
        CliRun run = CliRun.run("", "demo", "--model", model.toString(), "--work-dir", tmp.resolve("work").toString(), "--documents",
                b.toString(), "--chunk-bytes", "400", "--checkpoint-interval", "300ms", "--timeout", "300");
        assertThat(run.exitCode()).as(run.err() + run.out()).isZero();
        String out = run.out();
        assertThat(out).doesNotContain("RANDOM WEIGHTS").contains("      spikes: ").contains("spikes/activation (bitwise)");
        Matcher m = Pattern.compile("  spikes +([\\d,]+) activations, ([\\d.]+)% zero").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        long tokens = endTokens(out, "service");
        // 4 layers × (64 + 64 + 64) spiked inputs + 2 SWA layers × 64 query features = 896 activations per token
        assertThat(Long.parseLong(m.group(1).replace(",", ""))).isEqualTo(896 * tokens);
        assertThat(Double.parseDouble(m.group(2))).isBetween(1.0, 60.0);
    }

    @Test
    void theDefaultDemoPointsAtItsAnomaliesAndItsThirdActAlertsOnThem() throws Exception {
        Path model = io.spikestream.engine.testing.TestData.repositoryRoot().resolve("models").resolve("demo-logs");
        Path legal = model.resolveSibling("demo-legal");
        // the launcher passes the checkout as spikestream.home, where the demo finds both shipped models; in-process, name them
        CliRun run = CliRun.run("", "demo", "--model", model.toString(), "--document-model", legal.toString(), "--work-dir",
                tmp.resolve("work").toString(), "--timeout", "300");
        assertThat(run.exitCode()).as(run.err() + run.out()).isZero();
        String out = run.out();
        assertThat(out).doesNotContain("RANDOM WEIGHTS");
        // measured with the shipped model: 21 of 68 chunks (22 hold an injected line) print an injected line
        Matcher act1 = Pattern.compile("(\\d+) of its 68 chunks' most surprising lines are injected ones \\((\\d+) chunks hold an injected line\\)")
                .matcher(out);
        assertThat(act1.find()).as(out).isTrue();
        assertThat(Integer.parseInt(act1.group(1))).isGreaterThanOrEqualTo(18).isLessThanOrEqualTo(Integer.parseInt(act1.group(2)));
        assertThat(out).contains("act 3            2,500 lines -> 2,500 RECORD enrichments");
        // the agreement and the report are scored by models/demo-legal, a second job on their own topics (measured: 3.79 and
        // 4.33 nats/token; the log model gives ~10, a perplexity in the tens of thousands)
        assertThat(out).contains("models/demo-legal for the agreement and the incident report").contains("-> topic documents-legal");
        assertThat(endSurprisal(out, "master-services-agreement")).isLessThan(4.5);
        assertThat(endSurprisal(out, "incident-report")).isLessThan(5.5);
        // the line-trained legal model (0.3) hesitates between a contract and an outage (measured 0.449 and 0.551; the model
        // before it said 1.000 for the contract), but never takes the agreement for a recipe
        Matcher contract = Pattern.compile("master-services-agreement +ANSWER q-topic: .*\" a sales contract\"=([\\d.]+)").matcher(out);
        assertThat(contract.find()).as(out).isTrue();
        assertThat(Double.parseDouble(contract.group(1))).isGreaterThan(0.2);
        Matcher recipe = Pattern.compile("master-services-agreement +ANSWER q-topic: .*\" a cooking recipe\"=([\\d.]+)").matcher(out);
        assertThat(recipe.find()).as(out).isTrue();
        assertThat(Double.parseDouble(recipe.group(1))).isLessThan(0.01);
        // the legal job scores paragraphs (--segment paragraph): each document ends with its most surprising paragraph,
        // ranked by the calibration's length-aware paragraph score
        Matcher paragraph = Pattern.compile("master-services-agreement +END .*\n +the document's most surprising paragraph: lines (\\d+)-(\\d+)"
                + " \\(score (-?[\\d.]+), ([\\d.]+) nats/token\\): \"").matcher(out);
        assertThat(paragraph.find()).as(out).isTrue();
        assertThat(Integer.parseInt(paragraph.group(2))).isGreaterThanOrEqualTo(Integer.parseInt(paragraph.group(1)));
        assertThat(out).containsPattern("incident-report +END .*\n +the document's most surprising paragraph: lines \\d+-\\d+ \\(score ");
        // every alert printed is strictly above the calibrated threshold, p99.9 of models/demo-logs/calibration.json's line scores
        Matcher alert = Pattern.compile("ALERT \\S+ +line +\\d+ +([\\d.]+) > 11\\.46 ").matcher(out);
        int alerts = 0;
        while (alert.find()) {
            alerts++;
            assertThat(Double.parseDouble(alert.group(1))).isGreaterThan(11.4569);
        }
        // measured: 28 alerts (incidents: an unseen exception and its first stack frame are one); 27 start at an injected
        // line, 27 of 28 injected lines start one (37 alerts, precision 0.730, when the job alerted line by line)
        Matcher total = Pattern.compile("(\\d+) alerts above p99\\.9").matcher(out);
        assertThat(total.find()).isTrue();
        assertThat(Integer.parseInt(total.group(1))).isEqualTo(alerts);
        Matcher byLine = Pattern.compile("alerts +precision ([\\d.]+) \\(\\d+ of \\d+ alerts on injected lines\\), recall ([\\d.]+)").matcher(out);
        assertThat(byLine.find()).as(out).isTrue();
        assertThat(Double.parseDouble(byLine.group(1))).isGreaterThanOrEqualTo(0.9);
        assertThat(Double.parseDouble(byLine.group(2))).isGreaterThanOrEqualTo(0.9);
        Matcher byEvent = Pattern.compile("alerts by event +precision ([\\d.]+) .*, recall ([\\d.]+)").matcher(out);
        assertThat(byEvent.find()).as(out).isTrue();
        assertThat(Double.parseDouble(byEvent.group(1))).isGreaterThanOrEqualTo(0.9);
        assertThat(Double.parseDouble(byEvent.group(2))).isGreaterThanOrEqualTo(0.9);
    }

    private static double endSurprisal(String out, String docId) {
        Matcher m = Pattern.compile(Pattern.quote(docId) + " +END +\\d+ tokens, mean surprisal ([\\d.]+) nats").matcher(out);
        assertThat(m.find()).as("END line of " + docId + " in:\n" + out).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static long endTokens(String out, String docId) {
        Matcher m = Pattern.compile(Pattern.quote(docId) + " +END +(\\d+) tokens").matcher(out);
        assertThat(m.find()).as("END line of " + docId + " in:\n" + out).isTrue();
        return Long.parseLong(m.group(1));
    }
}
