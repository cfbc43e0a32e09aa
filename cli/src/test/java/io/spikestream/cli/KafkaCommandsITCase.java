package io.spikestream.cli;

import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** produce and consume against a real broker, through the CLI entry point. */
class KafkaCommandsITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    @Test
    void produceSplitsFilesIntoDocumentsAndConsumePrintsThem() throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("documents");
        KAFKA.createTopics(2, topic);
        Path a = Files.writeString(tmp.resolve("a.log"), "line one\nline two\nline three\n".repeat(20));
        Path b = Files.writeString(tmp.resolve("b.txt"), "short");
        CliRun produced = CliRun.run("", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--doc-id", "doc",
                "--chunk-bytes", "100", a.toString(), b.toString());
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("doc-0").contains("doc-1");
        CliRun stdin = CliRun.run("from stdin\n", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic,
                "--doc-id", "piped", "-");
        assertThat(stdin.exitCode()).as(stdin.err()).isZero();

        CliRun consumed = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--type", "chunk",
                "--json", "--from-beginning", "--timeout-ms", "3000");
        assertThat(consumed.exitCode()).as(consumed.err()).isZero();
        List<String> lines = consumed.out().lines().toList();
        StringBuilder docA = new StringBuilder();
        int pieces = 0;
        for (String line : lines) {
            Map<String, Object> chunk = Json.parseObject(line);
            if ("doc-0".equals(chunk.get("docId"))) {
                docA.append(chunk.get("text"));
                pieces++;
            }
        }
        assertThat(pieces).isGreaterThan(5);
        assertThat(docA.toString()).isEqualTo(Files.readString(a));
        assertThat(consumed.out()).contains("\"docId\":\"doc-1\"").contains("\"text\":\"short\"").contains("\"docId\":\"piped\"");
    }
}
