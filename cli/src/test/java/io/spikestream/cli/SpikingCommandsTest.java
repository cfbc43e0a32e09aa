package io.spikestream.cli;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import io.spikestream.engine.testing.TinyTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** quantize and spikes, as other checks call them. */
class SpikingCommandsTest {
    @TempDir
    Path tmp;

    private static String tokens(Path fixture) {
        return Arrays.stream(ExpectedOutputs.read(fixture).tokens()).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static Map<String, Object> lastJson(CliRun r) {
        List<String> lines = r.out().lines().toList();
        return Json.parseObject(lines.get(lines.size() - 1));
    }

    @Test
    @SuppressWarnings("unchecked")
    void spikesPrintsTheFixturesStatisticsAsItsLastLine() throws Exception {
        Path dir = TestData.tinyW8ASpike();
        Map<String, Object> expected = (Map<String, Object>) Json.parseObject(Files.readString(dir.resolve("expected.json"))).get("spikes");
        CliRun r = CliRun.run("", "spikes", "--model", dir.toString(), "--tokens", tokens(dir));
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = lastJson(r);
        for (String key : List.of("activations", "zero_fraction", "mean_abs", "mean_bitwise", "max_abs")) {
            assertThat(((Number) json.get(key)).doubleValue()).as(key).isEqualTo(((Number) expected.get(key)).doubleValue());
        }
        assertThat(json).containsKeys("silent_channel_fraction", "energy_pj_per_token", "dense_fp16_pj_per_token");
        CliRun chunked = CliRun.run("", "spikes", "--model", dir.toString(), "--tokens", tokens(dir), "--chunk", "5");
        assertThat(lastJson(chunked)).isEqualTo(json);
    }

    @Test
    void spikesOfAFloatModelIsAClearError() {
        CliRun r = CliRun.run("", "spikes", "--model", TestData.tinyF32().toString(), "--tokens", "1,2,3");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("is a float model").contains("quantize");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aPublishedCheckpointQuantizedToTheCompactLayoutGivesTheSameLogitsOutput() {
        Path src = TestData.tinyW8ASpike();
        Path out = tmp.resolve("compact");
        CliRun q = CliRun.run("", "quantize", "--from", src.toString(), "--to", out.toString());
        assertThat(q.exitCode()).as(q.err()).isZero();
        assertThat(q.out()).contains("verified:");
        assertThat(lastJson(q)).containsEntry("source_layout", "W8ASPIKE").containsEntry("group_size", 128L);
        String t = tokens(src);
        String original = CliRun.run("", "logits", "--model", src.toString(), "--tokens", t).out();
        for (String[] options : List.of(new String[0], new String[] {"--chunk", "3", "--save-restore-at", "7"})) {
            String[] args = new String[] {"logits", "--model", out.toString(), "--tokens", t};
            String[] all = Arrays.copyOf(args, args.length + options.length);
            System.arraycopy(options, 0, all, args.length, options.length);
            assertThat(CliRun.run("", all).out()).as(String.join(" ", options)).isEqualTo(original);
        }
        CliRun again = CliRun.run("", "quantize", "--from", src.toString(), "--to", tmp.resolve("x").toString(), "--group", "64");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("already W8ASpike with groups of 128");
    }

    /** The spikingbrain_moe fixture quantized post-training: it loads, its logits do not depend on chunking, `spikes` counts its sites. */
    @Test
    void aSpikingBrainMoeModelIsQuantizedAndSpikes() {
        Path src = TestData.fixture("tiny-spikingbrain-moe-f32");
        Path out = tmp.resolve("moe-w8aspike");
        CliRun q = CliRun.run("", "quantize", "--from", src.toString(), "--to", out.toString(), "--group", "16");
        assertThat(q.exitCode()).as(q.err()).isZero();
        String t = tokens(src);
        String whole = CliRun.run("", "logits", "--model", out.toString(), "--tokens", t).out();
        assertThat(whole).startsWith("{");
        assertThat(CliRun.run("", "logits", "--model", out.toString(), "--tokens", t, "--chunk", "3", "--save-restore-at", "7").out())
                .isEqualTo(whole);
        CliRun spikes = CliRun.run("", "spikes", "--model", out.toString(), "--tokens", t);
        assertThat(spikes.exitCode()).as(spikes.err()).isZero();
        Map<String, Object> json = lastJson(spikes);
        // per token: 4 layers × (attention input 64 + o_proj input 64 + MLP input 64)
        assertThat(((Number) json.get("activations")).longValue()).isEqualTo(4L * 3 * 64 * t.split(",").length);
    }

    @Test
    void theShippedSpikingDemoModelIsReproducedByTheReadmeCommand() throws Exception {
        Path models = TestData.repositoryRoot().resolve("models");
        Path out = tmp.resolve("demo-logs-w8aspike");
        CliRun q = CliRun.run("", "quantize", "--from", models.resolve("demo-logs").toString(), "--to", out.toString(), "--group", "64");
        assertThat(q.exitCode()).as(q.err()).isZero();
        for (String f : List.of("model.safetensors", "config.json", "vocab.json", "merges.txt", "tokenizer_config.json")) {
            assertThat(Files.readAllBytes(out.resolve(f))).as(f).isEqualTo(Files.readAllBytes(models.resolve("demo-logs-w8aspike").resolve(f)));
        }
    }

    @Test
    void benchSpikingEndsWithItsJsonLine() {
        CliRun r = CliRun.run("", "bench", "--preset", "tiny", "--spiking", "--positions", "64,600", "--chunk", "16", "--decode", "2",
                "--repeat", "1", "--group", "64");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = lastJson(r);
        assertThat(json).containsKeys("prefill_ratio", "decode_ratio", "weight_bytes_ratio", "skipped_fraction");
        assertThat(((Number) json.get("weight_bytes_ratio")).doubleValue()).isBetween(0.4, 0.6);
        assertThat(((Number) json.get("prefill_ratio")).doubleValue()).isPositive();
        assertThat(((Number) json.get("skipped_fraction")).doubleValue()).isBetween(0.0, 1.0);
        assertThat(r.out()).contains("JDK ");
        for (String v : new String[] {"dense", "spiking"}) {
            assertThat(((Number) json.get(v + "_prefill_tokens_per_second")).doubleValue()).as(v).isPositive();
            assertThat(((Number) json.get(v + "_decode_tokens_per_second")).doubleValue()).as(v).isPositive();
        }
        assertThat(((Number) json.get("dense_decode_bytes_per_token")).longValue()).isEqualTo(TINY_DENSE_DECODE_BYTES);
        // W8ASpike: int8 codes and their scales instead of bf16 in the layers; lm_head and the final norm stay
        long spiking = ((Number) json.get("spiking_decode_bytes_per_token")).longValue();
        assertThat(spiking - TINY_HEAD_BYTES).isBetween((TINY_DENSE_DECODE_BYTES - TINY_HEAD_BYTES) / 2,
                (TINY_DENSE_DECODE_BYTES - TINY_HEAD_BYTES) * 6 / 10);
    }

    /**
     * What a decode step of the tiny preset reads in bf16 (H 256, 4 heads and 2 KV heads of 64, 4 layers, FFN 512,
     * V 4096, GLA at layers 0 and 2 with a rank-16 gate): per layer q, o [256, 256], k, v [128, 256] and the
     * three FFN matrices [512, 256]; each GLA layer's gate [16, 256] and [128, 16]; lm_head [4096, 256] and the
     * final norm (256 floats). Not the embedding table.
     */
    static final long TINY_HEAD_BYTES = 4096L * 256 * 2 + 256 * 4;
    static final long TINY_DENSE_DECODE_BYTES = 4 * ((2L * 256 * 256 + 2L * 128 * 256 + 3L * 512 * 256) * 2)
            + 2 * ((16L * 256 + 128L * 16) * 2) + TINY_HEAD_BYTES;

    @Test
    void benchEndsWithItsJsonLine() {
        CliRun r = CliRun.run("", "bench", "--preset", "tiny", "--positions", "64,600", "--chunk", "16", "--decode", "2", "--repeat", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = lastJson(r);
        for (String v : new String[] {"gla_swa", "full_attention"}) {
            assertThat(((Number) json.get(v + "_prefill_tokens_per_second")).doubleValue()).as(v).isPositive();
            assertThat(((Number) json.get(v + "_decode_tokens_per_second")).doubleValue()).as(v).isPositive();
        }
        assertThat(((Number) json.get("gla_swa_decode_bytes_per_token")).longValue()).isEqualTo(TINY_DENSE_DECODE_BYTES);
        // the baseline holds the GLA gates but never reads them
        assertThat(((Number) json.get("full_attention_decode_bytes_per_token")).longValue())
                .isEqualTo(TINY_DENSE_DECODE_BYTES - 2 * ((16L * 256 + 128L * 16) * 2));
        assertThat(((Number) json.get("positions")).intValue()).isEqualTo(2);
    }

    @Test
    void postTrainingQuantizationReportsTheCalibrationNll() throws Exception {
        String corpus = "the quick brown fox jumps over the lazy dog. ".repeat(40);
        Path model = TinyTokenizer.modelWithTokenizer(TestData.tinyF32(), tmp.resolve("float"), corpus);
        Path text = Files.writeString(tmp.resolve("calibration.txt"), corpus);
        Path out = tmp.resolve("spiking");
        CliRun q = CliRun.run("", "quantize", "--from", model.toString(), "--to", out.toString(), "--group", "32",
                "--calibration", text.toString(), "--calibration-tokens", "200");
        assertThat(q.exitCode()).as(q.err()).isZero();
        Map<String, Object> json = lastJson(q);
        assertThat(json).containsEntry("source_layout", "FLOAT").containsEntry("group_size", 32L).containsEntry("calibration_tokens", 200L);
        double source = ((Number) json.get("source_mean_nll")).doubleValue();
        double spiking = ((Number) json.get("spiking_mean_nll")).doubleValue();
        assertThat(source).isPositive();
        assertThat(spiking).isPositive().isNotEqualTo(source);
        assertThat(q.out()).contains("calibration").contains("mean NLL source");
        assertThat(Files.exists(out.resolve("vocab.json"))).isTrue();
        CliRun spikes = CliRun.run("", "spikes", "--model", out.toString(), "--text", text.toString());
        assertThat(spikes.exitCode()).as(spikes.err()).isZero();
        assertThat(((Number) lastJson(spikes).get("activations")).longValue()).isPositive();
        CliRun bad = CliRun.run("", "quantize", "--from", model.toString(), "--to", tmp.resolve("bad").toString(), "--group", "48");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("group size 48 does not divide the 64 input features");
    }
}
