package io.spikestream.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    @TempDir
    Path tmp;

    @Test
    void keepsTopicsRecordsAndTransactionsAcrossARestartOnTheSameDirectoryAndPort() throws Exception {
        Path dir = tmp.resolve("kafka");
        int port;
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).start()) {
            System.out.printf("embedded broker ready in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            port = kafka.port();
            assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
            assertThat(createTopic(kafka.bootstrapServers(), "kept", 2)).isTrue();
            // A transactional write proves the transaction coordinator works on one node.
            produceTransactionally(kafka.bootstrapServers(), "kept", "before-restart");
        }
        assertThat(portIsOpen(port)).as("port closed after close()").isFalse();
        assertThat(dir.resolve("logs")).isDirectory();

        try (EmbeddedKafka again = EmbeddedKafka.builder().dataDir(dir).port(port).start()) {
            assertThat(again.port()).isEqualTo(port);
            assertThat(createTopic(again.bootstrapServers(), "kept", 2)).as("topic survived").isFalse();
            produceTransactionally(again.bootstrapServers(), "kept", "after-restart");
            assertThat(readAll(again.bootstrapServers(), "kept", 2)).containsExactlyInAnyOrder("before-restart", "after-restart");
        }
        assertThat(dir).isDirectory();
    }

    @Test
    void aTemporaryDirectoryIsDeletedOnClose() throws IOException {
        Path dir;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
            dir = kafka.dataDir();
            assertThat(dir).isDirectory();
        }
        assertThat(Files.exists(dir)).isFalse();
    }

    @Test
    void aTakenPortFailsWithTheReason() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> EmbeddedKafka.builder().port(taken.getLocalPort()).dataDir(tmp.resolve("k")).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("failed to start on port " + taken.getLocalPort());
        }
    }

    /** Creates the topic; false when it existed. */
    static boolean createTopic(String bootstrap, String topic, int partitions) throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw e;
        }
    }

    private static void produceTransactionally(String bootstrap, String topic, String value) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-test");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, value, value));
            producer.commitTransaction();
        }
    }

    private static List<String> readAll(String bootstrap, String topic, int partitions) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            var end = consumer.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    private static boolean portIsOpen(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
