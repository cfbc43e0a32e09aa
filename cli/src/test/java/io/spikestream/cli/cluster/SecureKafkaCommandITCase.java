package io.spikestream.cli.cluster;

import io.spikestream.cli.CliRun;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.kafka.access.KafkaRefusal;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import io.spikestream.engine.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ./spikestream kafka --secure} as a developer uses it, in its own process: the client files it writes
 * serve {@code produce} (SASL_SSL) and {@code consume} (mutual TLS) for what its users were granted and nothing
 * else; the admin file creates topics; a restart on the same directory gives the user a new password; no password
 * is printed.
 */
class SecureKafkaCommandITCase {
    @TempDir
    Path tmp;

    @Test
    void theFilesItWritesServeItsUsersForWhatTheyWereGrantedOnly() throws Exception {
        int port = twoFreePorts();
        Path dir = tmp.resolve("kafka");
        Path clients = dir.resolve("clients");
        Path log = tmp.resolve("kafka.log");
        Path text = Files.writeString(tmp.resolve("doc.txt"), "first line\nsecond line\n");
        String firstPassword;
        try (BrokerProcess broker = new BrokerProcess(port, dir, log, "--secure", "--user", "alice")) {
            broker.start();
            assertThat(Files.readString(log)).contains("Kafka ready (secured): SASL_SSL on localhost:" + port + ", mutual TLS on localhost:"
                    + (port + 1));
            assertThat(Files.getPosixFilePermissions(clients.resolve("alice.properties")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            KafkaTopics.ensure(KafkaClientConfig.forCommand(clients.resolve("admin.properties"), List.of(), null), 1, List.of("not-granted"));
            // the user may create the job's topics (job --create-topics), and no other
            KafkaClientConfig alice = KafkaClientConfig.forCommand(clients.resolve("alice.properties"), List.of(), null);
            assertThat(KafkaTopics.ensure(alice, 1, List.of(Topics.DOCUMENTS))).containsExactly(Topics.DOCUMENTS);
            assertThatThrownBy(() -> KafkaTopics.ensure(alice, 1, List.of("elsewhere"))).isInstanceOf(KafkaRefusal.class)
                    .hasMessageContaining("Kafka refused authorization");

            CliRun produced = CliRun.run("", "produce", "--command-config", clients.resolve("alice.properties").toString(),
                    "--topic", Topics.DOCUMENTS, "--doc-id", "d", text.toString());
            assertThat(produced.exitCode()).as(produced.err()).isZero();
            CliRun consumed = CliRun.run("", "consume", "--command-config", clients.resolve("alice-mtls.properties").toString(),
                    "--topic", Topics.DOCUMENTS, "--type", "chunk", "--json", "--from-beginning", "--timeout-ms", "3000");
            assertThat(consumed.exitCode()).as(consumed.err()).isZero();
            assertThat(Json.parseObject(consumed.out().lines().findFirst().orElseThrow())).containsEntry("docId", "d")
                    .containsEntry("text", "first line\nsecond line\n");
            CliRun refused = CliRun.run("", "produce", "--command-config", clients.resolve("alice.properties").toString(),
                    "--topic", "not-granted", "--doc-id", "d", text.toString());
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.err()).contains("WRITE on topic 'not-granted' is not allowed");
            firstPassword = scramPassword(clients.resolve("alice.properties"));
            assertThat(Files.readString(log) + produced.out() + produced.err() + consumed.err() + refused.err()).doesNotContain(firstPassword);
        }
        try (BrokerProcess again = new BrokerProcess(port, dir, log, "--secure", "--user", "alice")) {
            again.start();
            String second = scramPassword(clients.resolve("alice.properties"));
            assertThat(second).isNotEqualTo(firstPassword);
            CliRun produced = CliRun.run("", "produce", "--command-config", clients.resolve("alice.properties").toString(),
                    "--topic", Topics.DOCUMENTS, "--doc-id", "e", text.toString());
            assertThat(produced.exitCode()).as(produced.err()).isZero();
            assertThat(Files.readString(log)).doesNotContain(second);
        }
    }

    /** The password inside the file's JAAS setting. */
    private static String scramPassword(Path file) throws Exception {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        String jaas = p.getProperty("sasl.jaas.config");
        String password = jaas.replaceAll(".*password=\"([^\"]+)\".*", "$1");
        assertThat(password).hasSize(32);
        return password;
    }

    /** A free port whose next one is free too: the secured broker's mutual-TLS listener takes port + 1. */
    private static int twoFreePorts() throws java.io.IOException {
        for (int attempt = 0; ; attempt++) {
            try (ServerSocket s = new ServerSocket(0)) {
                int port = s.getLocalPort();
                try (ServerSocket next = new ServerSocket(port + 1)) {
                    return port;
                } catch (java.io.IOException taken) {
                    if (attempt == 20) {
                        throw taken;
                    }
                }
            }
        }
    }
}
