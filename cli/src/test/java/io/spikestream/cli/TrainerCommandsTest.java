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
            assertThat(lines.get(line)).isEqualTo(label.get("detail"));
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

    @Test
    void convertToTheSpikingBrainMoeLayoutWritesAModelTheEngineRuns() throws Exception {
        Path src = tmp.resolve("qwen2-for-moe");
        io.spikestream.trainer.testing.TinyTransformer.write(src, "qwen2", true, false, 3);
        Path moe = tmp.resolve("moe");
        CliRun run = CliRun.run("", "convert", "--from", src.toString(), "--to", moe.toString(), "--to-layout", "spikingbrain_moe",
                "--sinks", "4", "--experts", "6", "--experts-per-token", "2", "--dense-layers", "0", "--window", "8");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("spikingbrain_moe: full attention at [2], dense FFN at [0], 6 experts (top-2) + 1 shared")
                .contains("scale 0.9086"); // (1 / (1 + 2/6))^(1/3)
        CliRun logits = CliRun.run("", "logits", "--model", moe.toString(), "--tokens", "1,2,3,4,5,6,7,8,9,10,11,12", "--chunk", "5");
        assertThat(logits.exitCode()).as(logits.err()).isZero();
        assertThat(CliRun.run("", "logits", "--model", moe.toString(), "--tokens", "1,2,3,4,5,6,7,8,9,10,11,12").out())
                .isEqualTo(logits.out());
        CliRun wrong = CliRun.run("", "convert", "--from", src.toString(), "--to", tmp.resolve("bad").toString(), "--to-layout", "mamba");
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.err()).contains("--to-layout must be gla_swa or spikingbrain_moe, got mamba");
    }

    @Test
    void trainResumeAndScoreLines() throws Exception {
        Path model = tmp.resolve("trained");
        String[] common = {"--out", model.toString(), "--generate-logs", "1500", "--vocab-size", "300", "--hidden", "16", "--layers", "2",
            "--heads", "2", "--kv-heads", "1", "--intermediate", "32", "--window", "8", "--batch", "2", "--seq", "32",
            "--checkpoint-every", "3", "--threads", "2"};
        CliRun first = CliRun.run("", concat(new String[] {"train", "--steps", "6"}, common));
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.err()).contains("step 6/6").contains("validation loss");
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
                "trainer-state.safetensors")) {
            assertThat(model.resolve(f)).exists();
        }
        CliRun resumed = CliRun.run("", concat(new String[] {"train", "--steps", "9", "--resume"}, common));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming at step 6").contains("step 9/9");

        // --init: a new run starting from that model's weights and tokenizer (as after `convert`)
        Path tuned = tmp.resolve("tuned");
        CliRun fromInit = CliRun.run("", "train", "--out", tuned.toString(), "--init", model.toString(), "--generate-logs", "1500",
                "--seed", "4", "--steps", "2", "--batch", "2", "--seq", "32", "--checkpoint-every", "2");
        assertThat(fromInit.exitCode()).as(fromInit.err()).isZero();
        assertThat(Files.readString(tuned.resolve("config.json"))).isEqualTo(Files.readString(model.resolve("config.json")));
        assertThat(tuned.resolve("vocab.json")).hasSameTextualContentAs(model.resolve("vocab.json"));

        Path log = tmp.resolve("eval.log");
        Path labels = tmp.resolve("labels.jsonl");
        Files.writeString(log, CliRun.run("", "logs", "--lines", "400", "--seed", "9", "--anomaly-rate", "0.05", "--labels",
                labels.toString()).out());
        CliRun scored = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--labels", labels.toString(),
                "--top", "3");
        assertThat(scored.exitCode()).as(scored.err()).isZero();
        assertThat(scored.out()).containsPattern("\\d+ lines, [\\d,]+ tokens").contains("most surprising lines")
                .containsPattern("ROC AUC of line scores: mean surprisal 0\\.\\d+")
                .containsPattern("alerts at p99\\.9 \\([\\d.]+ length-aware score\\): precision [01]\\.\\d{4}, recall [01]\\.\\d{4}");
        // a threshold of 0 nats flags every scored line: recall is 1, precision the share of anomalous lines
        CliRun everything = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--labels", labels.toString(),
                "--alert-threshold", "0");
        long anomalous = Files.readAllLines(labels).size();
        long lines = Files.readAllLines(log).size();
        assertThat(everything.out()).contains(String.format(java.util.Locale.ROOT, "alerts at 0 (0.0000 nats/token): precision %.4f, recall 1.0000 (%d of %d",
                (double) anomalous / lines, anomalous, lines));

        // train calibrated on its held-out text; calibrate rebuilds that text from the same options, bit for bit
        Path calibration = model.resolve("calibration.json");
        assertThat(calibration).exists();
        String written = Files.readString(calibration);
        assertThat(written).contains("\"p99.9\"").contains("held-out 0.05 of a generated service log of 1500 lines (seed 1, 1 host)");
        CliRun again = CliRun.run("", "calibrate", "--model", model.toString(), "--generate-logs", "1500", "--threads", "1");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(Files.readString(calibration)).isEqualTo(written);
        assertThat(CliRun.run("", "calibrate", "--model", model.toString()).exitCode()).as("no text to calibrate on").isNotZero();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aLegalCorpusIsBuiltTrainedOnHeldOutByFileAndClauseTested() throws Exception {
        Path licences = Files.createDirectories(tmp.resolve("licences"));
        String[] words = {"licence", "software", "copyright", "holder", "warranty", "damages", "redistribute", "modify", "notice", "terms"};
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int f = 0; f < 30; f++) {
            StringBuilder text = new StringBuilder();
            for (int p = 0; p < 8; p++) {
                for (int w = 0; w < 30; w++) {
                    text.append(words[r.nextInt(words.length)]).append(w % 12 == 11 ? "\n" : " ");
                }
                text.append("\n\nThe same paragraph in every file.\n\n");
            }
            Files.writeString(licences.resolve("L-" + f), text);
        }
        Path corpus = tmp.resolve("corpus.jsonl.gz");
        CliRun built = CliRun.run("", "legal-corpus", "--out", corpus.toString(), "--from", licences.toString(), "--held-out-every", "5");
        assertThat(built.exitCode()).as(built.err()).isZero();
        assertThat(built.err()).contains("30 files read (0 not UTF-8, skipped)").contains("in 30 documents");
        List<io.spikestream.trainer.corpus.LegalCorpus.Document> docs = io.spikestream.trainer.corpus.LegalCorpus.read(corpus);
        assertThat(docs.stream().filter(d -> d.text().contains("The same paragraph in every file.")).count()).isEqualTo(1);

        Path model = tmp.resolve("model");
        CliRun trained = CliRun.run("", "train", "--out", model.toString(), "--corpus", corpus.toString(), "--vocab-size", "300",
                "--hidden", "32", "--layers", "2", "--intermediate", "64", "--window", "16", "--steps", "40", "--batch", "4", "--seq", "48",
                "--micro-batch", "2", "--threads", "2", "--checkpoint-every", "40");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        assertThat(trained.err()).contains("steps of 4×48 tokens, float32");
        assertThat(Files.readString(model.resolve("calibration.json"))).contains("held-out files of [" + corpus);
        CliRun tested = CliRun.run("", "clause-test", "--model", model.toString(), "--corpus", corpus.toString(), "--min-tokens", "5");
        assertThat(tested.exitCode()).as(tested.err()).isZero();
        Map<String, Object> report = Json.parseObject(tested.out().trim());
        long heldOut = docs.stream().filter(io.spikestream.trainer.corpus.LegalCorpus.Document::heldOut).count();
        assertThat(((Number) report.get("insertions")).intValue()).isEqualTo(10 * (int) heldOut);
        // a model of ten-word soup after 40 steps: the clause, in words it never saw, is the most surprising paragraph in 7 of 10
        // (a random ranking: 1 in 9)
        assertThat(((Number) report.get("top1")).doubleValue()).isGreaterThanOrEqualTo(0.5)
                .isGreaterThan(3 * ((Number) report.get("top1_random")).doubleValue());
        assertThat(((Number) report.get("heldout_perplexity")).doubleValue()).isLessThan(20);

        CliRun bad = CliRun.run("", "train", "--out", tmp.resolve("bad").toString(), "--corpus", corpus.toString(), "--precision", "float16");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--precision must be float32, bf16 or float64, got float16");
    }

    @Test
    void benchTrainRunsBothPathsOnTheSameDataAndReportsTheirRatio() throws Exception {
        Path tok = Files.createDirectories(tmp.resolve("tok"));
        Path corpus = Files.writeString(tmp.resolve("normal.log"), CliRun.run("", "logs", "--lines", "2000", "--seed", "6").out());
        assertThat(CliRun.run("", "train-tokenizer", "--vocab-size", "300", "--out", tok.toString(), corpus.toString()).exitCode()).isZero();
        CliRun run = CliRun.run("", "bench-train", "--tokenizer", tok.toString(), "--generate-logs", "3000", "--log-hosts", "2", "--steps", "3",
                "--warmup-steps", "1", "--rounds", "2", "--batch", "2", "--seq", "32", "--hidden", "32", "--layers", "2", "--intermediate", "64",
                "--window", "8", "--threads", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, Object> json = Json.parseObject(run.out().trim());
        assertThat(json).containsKeys("float64_tokens_per_second", "float32_tokens_per_second", "float32_ratio", "float64_validation_loss",
                "float32_validation_loss");
        assertThat(((Number) json.get("float64_ratio")).doubleValue()).isEqualTo(1.0);
        // 3 steps from the same weights on the same data: the two paths' validation losses agree to rounding
        assertThat(((Number) json.get("float32_validation_loss")).doubleValue())
                .isCloseTo(((Number) json.get("float64_validation_loss")).doubleValue(), org.assertj.core.api.Assertions.within(1e-4));
        assertThat(run.err()).contains("round 2  float32");
    }
}
