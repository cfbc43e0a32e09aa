package io.spikestream.connectors.testing;

import io.spikestream.broker.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The default: our in-process KRaft broker on a free port and a temporary directory. */
final class EmbeddedTestBroker implements TestBroker {
    private final EmbeddedKafka kafka;

    EmbeddedTestBroker() {
        try {
            kafka = EmbeddedKafka.builder().start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded Kafka broker for tests", e);
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
