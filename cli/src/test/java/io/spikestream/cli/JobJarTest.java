package io.spikestream.cli;

import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The job jar carries the job, the library, the Kafka client and connector — and no Kafka broker. */
class JobJarTest {
    @Test
    void theJobJarHoldsNoBrokerClasses() throws Exception {
        Path jar = TestData.repositoryRoot().resolve("kafka-job/target/spikestream-job.jar");
        assertThat(jar).as("built by the kafka-job module's package phase").exists();
        try (JarFile f = new JarFile(jar.toFile())) {
            List<String> names = f.stream().map(e -> e.getName()).toList();
            assertThat(names).contains("io/spikestream/operator/job/SpikeStreamJob.class", "io/spikestream/operator/DocumentScoring.class",
                    "org/apache/kafka/clients/producer/KafkaProducer.class");
            // the broker's Scala packages (kafka.server, kafka.log, ...); kafka-clients has only a resource there
            assertThat(names).noneMatch(n -> n.startsWith("kafka/") && n.endsWith(".class"))
                    .noneMatch(n -> n.startsWith("io/spikestream/broker/"))
                    .noneMatch(n -> n.startsWith("org/apache/kafka/metadata/") || n.startsWith("org/apache/kafka/storage/")
                            || n.startsWith("org/apache/kafka/raft/"));
        }
    }
}
