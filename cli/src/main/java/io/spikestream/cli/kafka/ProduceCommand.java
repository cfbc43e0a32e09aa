package io.spikestream.cli.kafka;

import io.spikestream.connectors.producer.ChunkProducer;
import io.spikestream.connectors.producer.ProducedDocument;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./spikestream produce}: files (or stdin) as chunked documents. */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Split files (or stdin, '-') into chunks at line boundaries and publish them as documents.",
            "One file: document ID; several files: ID-0, ID-1, ..."})
public final class ProduceCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "documents", description = "Documents topic (default: documents).")
    String topic;

    @Option(names = "--doc-id", required = true, description = "Document id (with several files: the prefix of ID-0, ID-1, ...).")
    String docId;

    @Option(names = "--chunk-bytes", defaultValue = "65536", description = "Largest chunk in UTF-8 bytes (default 65536).")
    int chunkBytes;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to publish; '-' reads standard input.")
    List<String> files;

    @Override
    public Integer call() throws IOException {
        try (ChunkProducer producer = ChunkProducer.builder().bootstrapServers(bootstrapServers).topic(topic).chunkBytes(chunkBytes).build()) {
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
}
