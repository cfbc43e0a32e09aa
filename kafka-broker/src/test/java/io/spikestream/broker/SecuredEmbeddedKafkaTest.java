package io.spikestream.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secured broker as a client sees it: SCRAM and PLAIN users over SASL_SSL, a certificate's CN as the user
 * over mutual TLS, nothing allowed without an ACL, wrong credentials and missing certificates refused.
 */
class SecuredEmbeddedKafkaTest {
    private static final String ALICE = CertificateAuthority.randomPassword();
    private static final String BOB = CertificateAuthority.randomPassword();

    @TempDir
    Path tmp;

    @Test
    void usersReachOnlyWhatTheirAclsAllowAndWrongCredentialsAreRefused() throws Exception {
        CertificateAuthority ca = CertificateAuthority.createOrLoad(tmp.resolve("tls"), "test CA");
        Path dir = tmp.resolve("kafka");
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir)
                .security(BrokerSecurity.with(ca).scramUser("alice", ALICE).plainUser("bob", BOB)).start()) {
            System.out.printf("secured broker ready in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            BrokerSecurity security = kafka.security();
            try (Admin admin = Admin.create(props(kafka.superUserClient()))) {
                admin.createTopics(List.of(new NewTopic("granted", 1, (short) 1), new NewTopic("other", 1, (short) 1))).all().get();
                admin.createAcls(List.of(
                        allow("alice", ResourceType.TOPIC, "granted", AclOperation.WRITE),
                        allow("bob", ResourceType.TOPIC, "granted", AclOperation.WRITE),
                        allow("carol", ResourceType.TOPIC, "granted", AclOperation.READ))).all().get();
            }
            Map<String, String> alice = with(security.saslClient("SCRAM-SHA-512", "alice", ALICE), kafka.bootstrapServers());
            send(alice, "granted", "from alice");
            send(with(security.saslClient("PLAIN", "bob", BOB), kafka.bootstrapServers()), "granted", "from bob");
            Map<String, String> carol = with(security.mutualTlsClient("carol"), kafka.mutualTlsBootstrapServers());
            assertThat(read(carol, "granted", 2)).containsExactly("from alice", "from bob");

            assertThatThrownBy(() -> send(alice, "other", "x")).hasRootCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> send(with(security.saslClient("SCRAM-SHA-512", "alice", "wrong"), kafka.bootstrapServers()),
                    "granted", "x")).hasRootCauseInstanceOf(SaslAuthenticationException.class);
            assertThatThrownBy(() -> send(with(security.saslClient("SCRAM-SHA-512", "mallory", ALICE), kafka.bootstrapServers()),
                    "granted", "x")).hasRootCauseInstanceOf(SaslAuthenticationException.class);
            Map<String, String> noCertificate = new java.util.LinkedHashMap<>(carol);
            noCertificate.keySet().removeIf(k -> k.startsWith("ssl.keystore") || k.equals("ssl.key.password"));
            assertThatThrownBy(() -> send(noCertificate, "granted", "x")).hasRootCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                    .hasCauseInstanceOf(SslAuthenticationException.class);
        }
        // A user added on a later start of the same directory (created through the admin API, not at format time).
        String dave = CertificateAuthority.randomPassword();
        try (EmbeddedKafka again = EmbeddedKafka.builder().dataDir(dir).security(BrokerSecurity.with(ca).scramUser("dave", dave)).start()) {
            try (Admin admin = Admin.create(props(again.superUserClient()))) {
                admin.createAcls(List.of(allow("dave", ResourceType.TOPIC, "granted", AclOperation.WRITE))).all().get();
            }
            send(with(again.security().saslClient("SCRAM-SHA-512", "dave", dave), again.bootstrapServers()), "granted", "from dave");
            // alice was created at format time and is still there
            send(with(again.security().saslClient("SCRAM-SHA-512", "alice", ALICE), again.bootstrapServers()), "granted", "again");
        }
    }

    static AclBinding allow(String user, ResourceType type, String name, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
    }

    private static Map<String, String> with(Map<String, String> client, String bootstrap) {
        Map<String, String> p = new java.util.LinkedHashMap<>(client);
        p.put("bootstrap.servers", bootstrap);
        return p;
    }

    private static Properties props(Map<String, String> m) {
        Properties p = new Properties();
        p.putAll(m);
        return p;
    }

    private static void send(Map<String, String> client, String topic, String value) throws Exception {
        Properties p = props(client);
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        }
    }

    private static List<String> read(Map<String, String> client, String topic, int expected) {
        List<String> values = new ArrayList<>();
        Properties p = props(client);
        p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
