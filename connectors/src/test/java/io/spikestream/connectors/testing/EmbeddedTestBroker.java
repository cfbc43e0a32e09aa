package io.spikestream.connectors.testing;

import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.connectors.kafka.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The default: our in-process KRaft broker on a free port and a temporary directory, started again once if it
 * cannot take an idempotent write. (Once, on a machine overloaded by another test suite, a fresh broker never
 * handed out a producer id: every idempotent batch of the first test expired after 120 s.)
 */
final class EmbeddedTestBroker implements TestBroker {
    private static final String READY_TOPIC = "test-broker-ready";

    private final EmbeddedKafka kafka;

    EmbeddedTestBroker() {
        EmbeddedKafka started = start();
        String refused = idempotentWriteRefusal(started);
        if (refused != null) {
            System.err.println("the embedded Kafka broker took no idempotent write (" + refused + "): starting another");
            started.close();
            started = start();
            refused = idempotentWriteRefusal(started);
            if (refused != null) {
                started.close();
                throw new IllegalStateException("the embedded Kafka broker takes no idempotent write: " + refused);
            }
        }
        kafka = started;
    }

    private static EmbeddedKafka start() {
        try {
            return EmbeddedKafka.builder().start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker for tests", e);
        }
    }

    /** Null when an idempotent producer (it needs a producer id from the controller) writes a record within 60 s. */
    private static String idempotentWriteRefusal(EmbeddedKafka kafka) {
        KafkaTopics.ensure(kafka.bootstrapServers(), 1, List.of(READY_TOPIC));
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(READY_TOPIC, "ready".getBytes(StandardCharsets.UTF_8))).get(90, TimeUnit.SECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public String description() {
        return "embedded KRaft broker at " + kafka.bootstrapServers();
    }

    @Override
    public void close() {
        kafka.close();
    }
}
