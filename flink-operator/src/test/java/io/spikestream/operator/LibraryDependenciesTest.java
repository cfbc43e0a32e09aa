package io.spikestream.operator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The library's classpath (its dependencies and the tests') holds no Kafka: a Flink job that uses it needs none. */
class LibraryDependenciesTest {
    @Test
    void noKafkaClientNorBrokerIsOnTheLibrarysClasspath() {
        for (String kafkaClass : new String[] {"org.apache.kafka.clients.consumer.KafkaConsumer", "kafka.server.KafkaRaftServer",
                "io.spikestream.connectors.kafka.RawKafkaSource", "io.spikestream.broker.EmbeddedKafka"}) {
            assertThatThrownBy(() -> Class.forName(kafkaClass)).as(kafkaClass).isInstanceOf(ClassNotFoundException.class);
        }
        // what it does depend on is there
        assertThat(DocumentScoring.class.getClassLoader()).isNotNull();
        assertThat(io.spikestream.avro.Enrichment.class).isNotNull();
    }
}
