package io.spikestream.connectors.testing;

import io.spikestream.connectors.kafka.KafkaTopics;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>By default the broker is {@link io.spikestream.connectors.broker.EmbeddedKafka} (in this JVM, no Docker).
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
