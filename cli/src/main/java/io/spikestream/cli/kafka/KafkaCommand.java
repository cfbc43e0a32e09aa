package io.spikestream.cli.kafka;

import io.spikestream.connectors.broker.EmbeddedKafka;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code ./spikestream kafka}: a single-node KRaft broker in the foreground, for local development. */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = "Run an embedded single-node Kafka broker (KRaft) in the foreground until Ctrl-C.")
public final class KafkaCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092", description = "Listener port (default 9092).")
    int port;

    @Option(names = "--dir", required = true, description = "Data directory; formatted on first use, reused afterwards.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedKafka kafka = EmbeddedKafka.builder().port(port).dataDir(dir).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }, "spikestream-kafka-shutdown"));
        System.out.println("Kafka ready: bootstrap servers " + kafka.bootstrapServers() + ", data in " + kafka.dataDir().toAbsolutePath()
                + " (Ctrl-C stops)");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
