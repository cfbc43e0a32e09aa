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
        List<String> lines = r.out().lines().toList();
        Map<String, Object> json = Json.parseObject(lines.get(lines.size() - 1));
        assertThat(json).containsKeys("tokens", "tokens_per_second", "engine_tokens_per_second", "flatness", "state_bytes_first",
                "state_bytes_last");
        long tokens = ((Number) json.get("tokens")).longValue();
        assertThat(tokens).isGreaterThanOrEqualTo(30000);
        // the engine alone read the same text: the same number of tokens
        assertThat(r.out()).contains(String.format(java.util.Locale.ROOT, "engine alone: %,d tokens", tokens));
        assertThat(((Number) json.get("tokens_per_second")).doubleValue()).isPositive();
        assertThat(((Number) json.get("state_bytes_last")).longValue()).isPositive();
    }
}
