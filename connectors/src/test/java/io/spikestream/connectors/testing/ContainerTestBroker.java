package io.spikestream.connectors.testing;

import org.apache.kafka.common.utils.AppInfoParser;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The {@code apache/kafka} image through Testcontainers (needs Docker). The image tag defaults to the
 * kafka-clients version on the classpath; {@code -Dkafka.testcontainers.image=...} picks another.
 */
final class ContainerTestBroker implements TestBroker {
    static final String IMAGE_PROPERTY = "kafka.testcontainers.image";

    private final KafkaContainer container;

    ContainerTestBroker() {
        String image = System.getProperty(IMAGE_PROPERTY, "apache/kafka:" + AppInfoParser.getVersion());
        container = new KafkaContainer(DockerImageName.parse(image))
                // The same single-node settings as the embedded broker (transactions need them).
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        container.start();
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public String description() {
        return "Testcontainers " + container.getDockerImageName() + " at " + container.getBootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
