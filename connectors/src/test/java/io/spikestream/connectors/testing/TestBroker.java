package io.spikestream.connectors.testing;

/** A Kafka broker that tests can reach, however it runs. Closed by JUnit at the end of the test run. */
interface TestBroker extends AutoCloseable {
    String bootstrapServers();

    /** What runs, for failure messages. */
    String description();

    @Override
    void close();
}
