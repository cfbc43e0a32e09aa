package io.spikestream.cli;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench-pipeline} end to end on a small document: every token through the job, and its JSON line. */
class PipelineBenchITCase {

    @Test
    void aGeneratedDocumentGoesThroughTheJobAndTheJsonLineDescribesIt() {
        String model = TestData.repositoryRoot().resolve("models").resolve("demo-logs").toString();
        CliRun r = CliRun.run("", "bench-pipeline", "--model", model, "--tokens", "30000", "--chunk-bytes", "8192",
                "--checkpoint-interval", "500ms");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        Map<String, Object> json = jsonLine(r);
        assertThat(json).containsKeys("tokens", "tokens_per_second", "engine_tokens_per_second", "flatness", "state_bytes_first",
                "state_bytes_last");
        long tokens = ((Number) json.get("tokens")).longValue();
        assertThat(tokens).isGreaterThanOrEqualTo(30000);
        // the engine alone read the same text: the same number of tokens
        assertThat(r.out()).contains(String.format(java.util.Locale.ROOT, "engine alone: %,d tokens", tokens));
        assertThat(((Number) json.get("tokens_per_second")).doubleValue()).isPositive();
        assertThat(((Number) json.get("state_bytes_last")).longValue()).isPositive();
    }

    @Test
    void aKeyedTextLogGoesThroughTheJobAndTheEngineAloneAndTheJsonLineComparesThem() {
        String model = TestData.repositoryRoot().resolve("models").resolve("demo-logs").toString();
        CliRun r = CliRun.run("", "bench-pipeline", "--model", model, "--input-format", "text", "--keys", "7", "--lines", "300",
                "--checkpoint-interval", "500ms", "--latency-seconds", "3", "--rate", "40");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        Map<String, Object> json = jsonLine(r);
        assertThat(json).containsEntry("input_format", "text").containsEntry("keys", 7L).containsEntry("lines", 300L);
        double engine = ((Number) json.get("engine_tokens_per_second")).doubleValue();
        double job = ((Number) json.get("job_tokens_per_second")).doubleValue();
        assertThat(engine).isPositive();
        assertThat(job).isPositive();
        assertThat(((Number) json.get("ratio")).doubleValue()).isCloseTo(job / engine, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(((Number) json.get("state_bytes_written_per_record")).doubleValue()).isPositive();
        // 120 lines at 40/s, each committed within a few checkpoint intervals
        assertThat(((Number) json.get("latency_max_ms")).longValue()).isPositive().isLessThan(30_000);
        assertThat(((Number) json.get("latency_p50_ms")).longValue()).isLessThanOrEqualTo(((Number) json.get("latency_max_ms")).longValue());
        // the bench fails unless the job scored every line with as many tokens as the engine alone
        assertThat(r.out()).contains("job: 300 records, " + String.format(java.util.Locale.ROOT, "%,d", ((Number) json.get("tokens")).longValue()) + " tokens");
    }

    /**
     * The command's JSON line: its last line starting with '{'. The run is in this JVM with System.out captured, so
     * a line from another thread (a broker or Flink shutting down) may come after it; the output shows if none does.
     */
    static Map<String, Object> jsonLine(CliRun r) {
        List<String> json = r.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(json).as("a JSON line in:%n%s", r.out()).isNotEmpty();
        return Json.parseObject(json.get(json.size() - 1));
    }
}
