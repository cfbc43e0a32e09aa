package io.spikestream.cli.kafka;

import io.spikestream.connectors.consumer.ConsumeSummary;
import io.spikestream.connectors.consumer.EnrichmentConsumer;
import io.spikestream.connectors.consumer.RecordType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code ./spikestream consume}: prints committed records (read_committed). */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print the records of a topic that are committed (isolation.level=read_committed).")
public final class ConsumeCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "enrichments", description = "Topic (default: enrichments).")
    String topic;

    @Option(names = "--type", defaultValue = "enrichment", description = "Record type: enrichment (default), rejected, chunk or query.")
    String type;

    @Option(names = "--json", description = "One JSON object per line (field names as in the Avro schema).")
    boolean json;

    @Option(names = "--from-beginning", description = "Start at the earliest offset (default: only new records).")
    boolean fromBeginning;

    @Option(names = "--timeout-ms", description = "Exit after this many ms without a new record (default: run until Ctrl-C).")
    Long timeoutMs;

    @Override
    public Integer call() {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        EnrichmentConsumer.Builder b = EnrichmentConsumer.builder().bootstrapServers(bootstrapServers).topic(topic)
                .type(RecordType.parse(type)).json(json).fromBeginning(fromBeginning).out(out).err(err);
        if (timeoutMs != null) {
            b.idleTimeout(Duration.ofMillis(timeoutMs));
        }
        EnrichmentConsumer consumer = b.build();
        Thread hook = new Thread(consumer::stop, "spikestream-consume-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ConsumeSummary summary = consumer.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting (Ctrl-C): the hook has run
        }
        err.println(summary);
        return 0;
    }
}
