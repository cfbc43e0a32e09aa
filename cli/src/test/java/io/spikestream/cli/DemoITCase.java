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

    private static long endTokens(String out, String docId) {
        Matcher m = Pattern.compile(Pattern.quote(docId) + " +END +(\\d+) tokens").matcher(out);
        assertThat(m.find()).as("END line of " + docId + " in:\n" + out).isTrue();
        return Long.parseLong(m.group(1));
    }
}
