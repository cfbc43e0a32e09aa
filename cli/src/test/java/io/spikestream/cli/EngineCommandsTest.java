package io.spikestream.cli;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI contract: logits, tokenize and generate, as other checks call them. */
class EngineCommandsTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gla-swa-f32", "tiny-gla-swa-bf16-sharded", "tiny-w8aspike-f32", "tiny-spikingbrain-moe-f32"})
    @SuppressWarnings("unchecked")
    void logitsMatchTheReferenceAndDoNotDependOnChunkingOrRestore(String fixture) {
        Path dir = TestData.fixture(fixture);
        ExpectedOutputs expected = ExpectedOutputs.read(dir);
        String tokens = Arrays.stream(expected.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(","));
        CliRun whole = CliRun.run("", "logits", "--model", dir.toString(), "--tokens", tokens);
        assertThat(whole.exitCode()).as(whole.err()).isZero();
        Map<String, Object> json = Json.parseObject(whole.out().trim());
        assertThat((List<Object>) json.get("tokens")).hasSize(expected.tokens().length);
        List<Object> rows = (List<Object>) json.get("logits");
        assertThat(rows).hasSize(expected.tokens().length);
        double worst = 0;
        for (int t = 0; t < rows.size(); t++) {
            List<Object> row = (List<Object>) rows.get(t);
            assertThat(row).hasSize(expected.logits()[t].length);
            for (int c = 0; c < row.size(); c++) {
                worst = Math.max(worst, Math.abs(((Number) row.get(c)).doubleValue() - expected.logits()[t][c]));
            }
        }
        assertThat(worst).isLessThan(1e-3);
        for (String[] options : List.of(new String[] {"--chunk", "1"}, new String[] {"--chunk", "3", "--save-restore-at", "5"},
                new String[] {"--save-restore-at", "2"}, new String[] {"--chunk", "7", "--threads", "1"})) {
            String[] args = concat(new String[] {"logits", "--model", dir.toString(), "--tokens", tokens}, options);
            CliRun other = CliRun.run("", args);
            assertThat(other.out()).as(String.join(" ", options)).isEqualTo(whole.out());
        }
    }

    @Test
    void logitsRejectsBadTokensWithoutPrintingJson() {
        CliRun r = CliRun.run("", "logits", "--model", TestData.tinyF32().toString(), "--tokens", "1,2,512");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("token id 512 at index 2 is outside the vocabulary [0, 512)");
    }

    @Test
    @SuppressWarnings("unchecked")
    void tokenizeReproducesTheFixtureCasesInBothModes() throws IOException {
        String model = TestData.spikingBrain7b().toString();
        for (String line : Files.readAllLines(TestData.tokenizerFixtures().resolve("qwen2-cases.jsonl"))) {
            Map<String, Object> c = Json.parseObject(line);
            String text = (String) c.get("text");
            CliRun literal = CliRun.run(text, "tokenize", "--model", model);
            CliRun template = CliRun.run(text, "tokenize", "--model", model, "--specials");
            assertThat(Json.parseObject(literal.out().trim()).get("ids")).isEqualTo(c.get("ids_literal"));
            assertThat(Json.parseObject(template.out().trim()).get("ids")).isEqualTo(c.get("ids"));
        }
    }

    @Test
    void generationIsReproducibleForASeed() {
        String model = TestData.tinyBf16Sharded().toString();
        String[] args = {"generate", "--model", model, "--prompt-tokens", "5,6,7", "--max-tokens", "8", "--temperature", "0.8",
            "--top-p", "0.9", "--seed", "11", "--json"};
        CliRun a = CliRun.run("", args);
        CliRun b = CliRun.run("", args);
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(a.out()).isEqualTo(b.out()).contains("\"tokens\":[");
        CliRun noTokenizer = CliRun.run("", "generate", "--model", model, "--prompt", "hello", "--max-tokens", "2");
        assertThat(noTokenizer.exitCode()).isEqualTo(1);
        assertThat(noTokenizer.err()).contains("no tokenizer files");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
