package io.spikestream.cli.kafka;

import io.spikestream.connectors.consumer.ConsumeSummary;
import io.spikestream.connectors.consumer.EnrichmentConsumer;
import io.spikestream.connectors.consumer.RecordType;
import io.spikestream.connectors.kafka.access.KafkaAccessCheck;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ./spikestream consume}: prints committed records (read_committed). */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Print the records of a topic that are committed (isolation.level=read_committed).")
public final class ConsumeCommand implements Callable<Integer> {
    @Mixin
    KafkaClientOptions kafka;

    @Option(names = "--topic", description = "Topic (default: alerts for --type alert, rejected for --type rejected, else enrichments).")
    String topic;

    @Option(names = "--type", defaultValue = "enrichment", description = "Record type: enrichment (default), alert, rejected, chunk or query.")
    String type;

    @Option(names = "--json", description = "One JSON object per line (field names as in the Avro schema).")
    boolean json;

    @Option(names = "--from-beginning", description = "Start at the earliest offset (default: only new records).")
    boolean fromBeginning;

    @Option(names = "--timeout-ms", description = "Exit after this many ms without a new record (default: run until Ctrl-C).")
    Long timeoutMs;

    @Option(names = "--html", paramLabel = "FILE", description = {"Write one document's lines (--doc-id) as a self-contained HTML page",
        "(scores shaded, alerts marked, a chart along the document) instead of printing records."})
    java.nio.file.Path html;

    @Option(names = "--doc-id", description = "With --html: the document (the record key of a text topic).")
    String docId;

    @Option(names = "--alert-threshold", description = {"With --html: mark the lines above this: nats per token, or a quantile",
        "of --model's calibration (pNN). Default: no marks."})
    String alertThreshold;

    @Option(names = "--model", description = "With --html and a pNN threshold: the model directory whose calibration.json to read.")
    java.nio.file.Path model;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        RecordType recordType = RecordType.parse(type);
        String t = topic != null ? topic : switch (recordType) {
            case ALERT -> io.spikestream.connectors.kafka.Topics.ALERTS;
            case REJECTED -> io.spikestream.connectors.kafka.Topics.REJECTED;
            default -> io.spikestream.connectors.kafka.Topics.ENRICHMENTS;
        };
        KafkaClientConfig client = kafka.config();
        // refusals (TLS, credentials, READ on the topic) now, with the reason, instead of a consumer that retries
        KafkaAccessCheck.of(client).reads(List.of(t)).run();
        DocumentLines document = null;
        if (html != null) {
            if (docId == null || recordType != RecordType.ENRICHMENT) {
                throw new IllegalArgumentException("--html needs --doc-id and enrichment records (--type enrichment)");
            }
            document = new DocumentLines(docId);
        } else if (docId != null || alertThreshold != null || model != null) {
            throw new IllegalArgumentException("--doc-id, --alert-threshold and --model go with --html");
        }
        if (alertThreshold != null) {
            io.spikestream.engine.scoring.AlertThreshold.resolve(alertThreshold, model); // a bad spec stops here, before reading
        }
        EnrichmentConsumer.Builder b = EnrichmentConsumer.builder().clientConfig(client).topic(t)
                .type(recordType).json(json).fromBeginning(fromBeginning).out(out).err(err);
        if (document != null) {
            b.onRecord(document::add);
        }
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
        if (document != null) {
            // resolved again for what the topic holds: paragraphs (--segment paragraph) have thresholds of their own
            io.spikestream.cli.report.HtmlReport.write(html, document.page(t, kind -> alertThreshold == null ? java.util.Optional.empty()
                    : io.spikestream.engine.scoring.AlertThreshold.resolve(alertThreshold, model, kind)));
            err.println("report: " + html + " (" + document.size() + " lines of " + docId + ")");
        }
        return 0;
    }
}
