package io.spikestream.cli;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** logs and train-tokenizer through the CLI entry point. */
class TrainerCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void logsWithLabelsThenATokenizerTrainedOnThem() throws Exception {
        Path labels = tmp.resolve("labels.jsonl");
        CliRun run = CliRun.run("", "logs", "--lines", "3000", "--seed", "5", "--anomaly-rate", "0.03", "--labels", labels.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(CliRun.run("", "logs", "--lines", "3000", "--seed", "5", "--anomaly-rate", "0.03").out()).isEqualTo(run.out());
        List<String> lines = run.out().lines().toList();
        assertThat(lines.size()).isGreaterThanOrEqualTo(3000);
        List<String> labelLines = Files.readAllLines(labels);
        assertThat(labelLines).hasSizeGreaterThan(30);
        for (String l : labelLines) {
            Map<String, Object> label = Json.parseObject(l);
            int line = ((Number) label.get("line")).intValue();
            if (!label.get("kind").equals("UNSEEN_ERROR")) {
                assertThat(lines.get(line)).isEqualTo(label.get("detail"));
            }
        }

        Path corpus = Files.writeString(tmp.resolve("normal.log"), CliRun.run("", "logs", "--lines", "3000", "--seed", "6").out());
        Path dir = tmp.resolve("tok");
        CliRun trained = CliRun.run("", "train-tokenizer", "--vocab-size", "700", "--out", dir.toString(), corpus.toString());
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        Tokenizer tokenizer = Tokenizer.load(dir);
        assertThat(tokenizer.vocabSize()).isEqualTo(700);
        String sample = String.join("\n", lines.subList(0, 50)) + "\n";
        CliRun ids = CliRun.run(sample, "tokenize", "--model", dir.toString());
        assertThat(ids.out().trim()).startsWith("{\"ids\":[");
        int[] expected = tokenizer.encode(sample, TokenizerMode.LITERAL);
        assertThat(tokenizer.decode(expected)).isEqualTo(sample);
        assertThat(ids.out().trim().split(",")).hasSize(expected.length);
    }

    @Test
    void convertWritesAModelTheEngineRuns() throws Exception {
        Path src = tmp.resolve("qwen2");
        io.spikestream.trainer.testing.TinyTransformer.write(src, "qwen2", true, false, 3);
        CliRun run = CliRun.run("", "convert", "--from", src.toString(), "--to", tmp.resolve("gla").toString(), "--attn-layers", "1",
                "--window", "8");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("sliding-window layers [1] (window 8)");
        CliRun logits = CliRun.run("", "logits", "--model", tmp.resolve("gla").toString(), "--tokens", "1,2,3,4,5,6,7,8,9,10", "--chunk", "3");
        assertThat(logits.exitCode()).as(logits.err()).isZero();
        assertThat(CliRun.run("", "logits", "--model", tmp.resolve("gla").toString(), "--tokens", "1,2,3,4,5,6,7,8,9,10").out())
                .isEqualTo(logits.out());
    }
}
