package io.spikestream.connectors.kafka.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientConfigTest {
    static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"s3cr3t-Pa55\";";

    @TempDir
    Path tmp;

    Path file(Map<String, String> settings) throws Exception {
        Path f = tmp.resolve("client-" + settings.hashCode() + ".properties");
        Properties p = new Properties();
        p.putAll(settings);
        try (Writer w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
            p.store(w, null);
        }
        return f;
    }

    @Test
    void propertiesOverrideTheFileAndTheOptionOverridesBoth() throws Exception {
        Path f = file(Map.of("bootstrap.servers", "from-file:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                "client.id", "file"));
        KafkaClientConfig c = KafkaClientConfig.forCommand(f, List.of("sasl.mechanism=SCRAM-SHA-512", "client.id=a=b"), null);
        assertThat(c.bootstrapServers()).isEqualTo("from-file:9093");
        assertThat(c.settings()).containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("client.id", "a=b")
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(c.summary()).isEqualTo("SASL_SSL SCRAM-SHA-512 (" + f + " and 2 --command-property)");
        assertThat(KafkaClientConfig.forCommand(f, List.of(), "option:9092").bootstrapServers()).isEqualTo("option:9092");
        assertThat(KafkaClientConfig.forCommand(null, List.of(), "b:1").securityProtocol()).isEqualTo("PLAINTEXT");
    }

    @Test
    void bootstrapServersAreRequiredFromTheOptionOrTheFile() throws Exception {
        KafkaClientConfig c = KafkaClientConfig.forCommand(file(Map.of("security.protocol", "SSL")), List.of(), null);
        assertThatThrownBy(c::bootstrapServers).hasMessage("--bootstrap-servers is required (or bootstrap.servers in the --command-config file)");
    }

    @Test
    void settingsSpikeStreamOwnsAreRefusedNamingTheSettingAndWhy() throws Exception {
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("isolation.level=read_uncommitted"), "b:1"))
                .hasMessageStartingWith("isolation.level cannot be set (--command-property set it to 'read_uncommitted'): ")
                .hasMessageContaining("read_committed");
        Path f = file(Map.of("enable.idempotence", "false"));
        assertThatThrownBy(() -> KafkaClientConfig.forJob(f, List.of(), "b:1"))
                .hasMessageStartingWith("enable.idempotence cannot be set (--command-config " + f + " set it to 'false')");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("acks=1"), "b:1")).hasMessageContaining("acks=all");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("transactional.id=mine"), "b:1"))
                .hasMessageContaining("--transactional-id-prefix");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("group.id=g"), "b:1")).hasMessageContaining("--group-id");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("value.deserializer=x.Y"), "b:1"))
                .hasMessageContaining("bytes itself");
        // SpikeStream's own values, as copied client files often carry them, are fine
        KafkaClientConfig same = KafkaClientConfig.forCommand(file(Map.of("acks", "all", "enable.idempotence", "true",
                "isolation.level", "read_committed")), List.of("acks=-1"), "b:1");
        assertThat(same.settings()).containsEntry("acks", "-1");
        assertThat(KafkaClientConfig.OWNED).containsKeys("isolation.level", "enable.idempotence", "transactional.id", "acks");
    }

    @Test
    void malformedInputIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("s3cr3t-Pa55"), "b:1"))
                .hasMessage("--command-property takes KEY=VALUE; one of them has no '='");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(null, List.of("=value"), "b:1")).hasMessageContaining("no key");
        assertThatThrownBy(() -> KafkaClientConfig.forCommand(tmp.resolve("absent.properties"), List.of(), "b:1"))
                .hasMessageContaining("absent.properties: no such file");
    }

    @Test
    void secretsAreHiddenInEveryPrintedForm() throws Exception {
        KafkaClientConfig c = KafkaClientConfig.forCommand(file(Map.of("sasl.jaas.config", JAAS, "ssl.keystore.password", "ks-Pa55w0rd",
                "ssl.truststore.location", "/etc/kafka/ca.pem")), List.of(), "b:1");
        assertThat(c.settings()).containsEntry("sasl.jaas.config", JAAS); // a client of this process needs the value
        assertThat(c.toString()).contains("sasl.jaas.config=[hidden]").contains("ssl.keystore.password=[hidden]")
                .contains("ssl.truststore.location=/etc/kafka/ca.pem").doesNotContain("s3cr3t-Pa55").doesNotContain("ks-Pa55w0rd");
        // any text about to be printed loses the values, and the password inside the JAAS setting on its own
        assertThat(Secrets.scrub("failed: password=\"s3cr3t-Pa55\" and ks-Pa55w0rd")).isEqualTo("failed: password=\"[hidden]\" and [hidden]");
        assertThat(Secrets.isSecret("sasl.jaas.config")).isTrue();
        assertThat(Secrets.isSecret("sasl.oauthbearer.client.credentials.client.secret")).isTrue();
        assertThat(Secrets.isSecret("ssl.truststore.location")).isFalse();
        assertThat(Secrets.isSecret("security.protocol")).isFalse();
    }

    @Test
    void aJobCarriesEachSecretOfTheFileAsAReferenceThatKafkaResolvesFromTheFile() throws Exception {
        Path f = file(Map.of("bootstrap.servers", "b:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS, "ssl.truststore.location", "/etc/kafka/ca.pem"));
        KafkaClientConfig job = KafkaClientConfig.forJob(f, List.of("client.id=job"), null);
        String path = f.toAbsolutePath().toString();
        assertThat(job.settings()).containsEntry("sasl.jaas.config", "${spikestream:" + path + ":sasl.jaas.config}")
                .containsEntry("ssl.truststore.location", "/etc/kafka/ca.pem").containsEntry("client.id", "job")
                .containsEntry("config.providers", "spikestream")
                .containsEntry("config.providers.spikestream.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        assertThat(job.settings().values()).noneMatch(v -> v.contains("s3cr3t-Pa55"));
        // Kafka's own client configuration resolves the reference back to the file's value, where the client opens
        AdminClientConfig resolved = new AdminClientConfig(job.settings());
        assertThat(resolved.getPassword("sasl.jaas.config")).isEqualTo(new Password(JAAS));
        // a provider of the user's own is kept beside ours
        Path withVault = file(Map.of("bootstrap.servers", "b:1", "config.providers", "env", "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider", "ssl.key.password", "k-Pa55"));
        assertThat(KafkaClientConfig.forJob(withVault, List.of(), null).settings()).containsEntry("config.providers", "env,spikestream");
    }

    @Test
    void aJobRefusesASecretOnTheCommandLine() {
        assertThatThrownBy(() -> KafkaClientConfig.forJob(null, List.of("sasl.jaas.config=" + JAAS), "b:1"))
                .hasMessageStartingWith("--command-property sasl.jaas.config is a secret: put it in the --command-config file")
                .message().doesNotContain("s3cr3t-Pa55");
        // a reference the user wrote is not a secret value
        KafkaClientConfig ref = KafkaClientConfig.forJob(null, List.of("sasl.jaas.config=${vault:kafka:jaas}"), "b:1");
        assertThat(ref.settings()).containsEntry("sasl.jaas.config", "${vault:kafka:jaas}");
    }

    @Test
    void unknownKeysAreReportedAsLikelyTypos() {
        KafkaClientConfig c = KafkaClientConfig.forCommand(null, List.of("secuirty.protocol=SSL", "security.protocol=SSL",
                "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider"), "b:1");
        assertThat(c.unknownKeys()).containsExactly("secuirty.protocol");
    }
}
