package io.spikestream.cli.kafka;

import io.spikestream.connectors.kafka.access.KafkaAccessCheck;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import io.spikestream.connectors.producer.ChunkProducer;
import io.spikestream.connectors.producer.LineProducer;
import io.spikestream.connectors.producer.ProducedDocument;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./spikestream produce}: files (or stdin) as chunked documents, or line by line as plain-text records. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Split files (or stdin, '-') into chunks at line boundaries and publish them as documents.",
            "One file: document ID; several files: ID-0, ID-1, ...",
            "With --lines: publish every line as one plain-text record, in file order (for the job's --input-format text);",
            "the key is --key-regex's first group where a line matches (a line that does not keeps the key before it),",
            "else --doc-id, else the file name."})
public final class ProduceCommand implements Callable<Integer> {
    @Mixin
    KafkaClientOptions kafka;

    @Option(names = "--topic", defaultValue = "documents", description = "Documents topic (default: documents).")
    String topic;

    @Option(names = "--doc-id", description = "Document id (with several files: the prefix of ID-0, ID-1, ...). With --lines: the default key.")
    String docId;

    @Option(names = "--lines", description = "One plain-text record per line instead of Avro chunks.")
    boolean lines;

    @Option(names = "--key-regex", description = "With --lines: the record key is this regex's first group, e.g. '\\[([a-z]+)-\\d+\\]'.")
    String keyRegex;

    @Option(names = "--chunk-bytes", defaultValue = "65536", description = "Largest chunk in UTF-8 bytes (default 65536).")
    int chunkBytes;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to publish; '-' reads standard input.")
    List<String> files;

    @Override
    public Integer call() throws IOException {
        KafkaClientConfig client = kafka.config();
        // refusals (TLS, credentials, WRITE on the topic) now, with the reason, instead of a producer that retries
        KafkaAccessCheck.of(client).writes(List.of(topic)).run();
        if (lines) {
            return produceLines(client);
        }
        if (keyRegex != null) {
            throw new IllegalArgumentException("--key-regex applies to --lines");
        }
        if (docId == null) {
            throw new IllegalArgumentException("--doc-id is required (or --lines, which keys each line)");
        }
        try (ChunkProducer producer = ChunkProducer.builder().clientConfig(client).topic(topic).chunkBytes(chunkBytes).build()) {
            for (int i = 0; i < files.size(); i++) {
                String id = files.size() == 1 ? docId : docId + "-" + i;
                String file = files.get(i);
                try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
                    ProducedDocument d = producer.produce(id, in, Map.of("source", file));
                    System.out.println(d + " <- " + file);
                }
            }
        }
        return 0;
    }

    private int produceLines(KafkaClientConfig client) throws IOException {
        try (LineProducer producer = LineProducer.create(client, topic, keyRegex)) {
            for (String file : files) {
                String key = docId != null ? docId : file.equals("-") ? "stdin" : Path.of(file).getFileName().toString();
                try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file));
                     java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8))) {
                    LineProducer.PublishedLines p = producer.produce(reader, key, false);
                    System.out.println(p + " <- " + file);
                }
            }
        }
        return 0;
    }
}
