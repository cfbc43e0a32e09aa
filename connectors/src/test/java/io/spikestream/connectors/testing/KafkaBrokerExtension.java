package io.spikestream.connectors.testing;

import io.spikestream.connectors.kafka.KafkaTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kafka broker for tests, shared by all test classes of the run and stopped at its end.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ... KAFKA.bootstrapServers() ... KAFKA.createTopics(2, topic) ...
 * }</pre>
 *
 * <p>By default the broker is {@link io.spikestream.broker.EmbeddedKafka} (in this JVM, no Docker).
 * With {@code -Dkafka.testcontainers=true} it is the {@code apache/kafka} image through Testcontainers; a
 * module using that needs {@code org.testcontainers:kafka} on its test classpath. Tests share the broker, so
 * they use their own topics ({@link #uniqueTopic}).
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, BeforeEachCallback {
    /** {@code -Dkafka.testcontainers=true} selects the Testcontainers broker. */
    public static final String TESTCONTAINERS_PROPERTY = "kafka.testcontainers";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);
    private static final AtomicInteger TOPIC_COUNTER = new AtomicInteger();

    private volatile TestBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        acquire(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        acquire(context);
    }

    private void acquire(ExtensionContext context) {
        if (broker == null) {
            // The root store outlives every test class, and JUnit closes what it holds when the run ends.
            broker = context.getRoot().getStore(NAMESPACE)
                    .getOrComputeIfAbsent(TestBroker.class.getName(), key -> startBroker(), TestBroker.class);
        }
    }

    private static TestBroker startBroker() {
        return Boolean.getBoolean(TESTCONTAINERS_PROPERTY) ? new ContainerTestBroker() : new EmbeddedTestBroker();
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** What runs (embedded or container, and where). */
    public String description() {
        return broker().description();
    }

    /** Creates the topics (if absent) with {@code partitions} partitions each. */
    public void createTopics(int partitions, String... topics) {
        KafkaTopics.ensure(bootstrapServers(), partitions, List.of(topics));
    }

    /** Every committed record of a topic, from the beginning to its current end ({@code read_committed}). */
    public List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return readCommitted(p, topic);
    }

    /** Every committed record of a topic of any broker, read with these client settings ({@code bootstrap.servers} included). */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(Properties client, String topic) {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    /** A topic name no other test of this run uses: {@code base-N}. */
    public static String uniqueTopic(String base) {
        return base + "-" + TOPIC_COUNTER.incrementAndGet();
    }

    private TestBroker broker() {
        TestBroker b = broker;
        if (b == null) {
            throw new IllegalStateException("the Kafka broker is not started: register KafkaBrokerExtension with "
                    + "@RegisterExtension on a static field (or an instance field) of the test class");
        }
        return b;
    }
}
