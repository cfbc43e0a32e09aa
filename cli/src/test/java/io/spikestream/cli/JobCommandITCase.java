package io.spikestream.cli;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.testing.TestData;
import io.spikestream.engine.testing.TinyTokenizer;
import io.spikestream.operator.job.Checkpoints;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./spikestream job} as users run it: a separate JVM, killed with SIGKILL after its first committed
 * output, then started again with {@code --resume latest}. The committed output equals a one-pass run's.
 */
class JobCommandITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String CORPUS = "2026-11-01T00:00:00.000Z INFO  [auth-0] req=523938499 latency_ms=667 status=200 user=u594\n"
            + "2026-11-02T01:01:07.001Z WARN  [payments-2] upstream ledger timed out after 30000 ms\n";

    @TempDir
    Path tmp;

    @Test
    void aJobKilledWithSigkillResumesFromItsLatestCheckpointLosingAndDuplicatingNothing() throws Exception {
        Path model = TinyTokenizer.modelWithTokenizer(TestData.tinyBf16Sharded(), tmp.resolve("model"), CORPUS.repeat(4));
        List<DocumentChunk> chunks = chunks("doc", CORPUS.repeat(11), 150);
        int half = chunks.size() * 2 / 3;

        // Reference: the whole document in one bounded in-process run.
        String refInput = KafkaBrokerExtension.uniqueTopic("documents");
        String refOutput = KafkaBrokerExtension.uniqueTopic("enrichments");
        KAFKA.createTopics(2, refInput, refOutput);
        send(refInput, chunks);
        CliRun missing = CliRun.run("", jobArgs(model, refInput, refOutput, tmp.resolve("ref-checkpoints"), "--bounded"));
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("do not exist").contains(refInput + "-queries").contains(refOutput + "-rejected");
        KAFKA.createTopics(2, refInput + "-queries", refOutput + "-rejected");
        CliRun ref = CliRun.run("", jobArgs(model, refInput, refOutput, tmp.resolve("ref-checkpoints"), "--bounded"));
        assertThat(ref.exitCode()).as(ref.err()).isZero();
        List<Enrichment> expected = committed(refOutput);
        assertThat(expected).hasSize(chunks.size() + 1);

        // A separate JVM gets the first part and is killed with SIGKILL once its output for it is committed.
        String input = KafkaBrokerExtension.uniqueTopic("documents");
        String output = KafkaBrokerExtension.uniqueTopic("enrichments");
        KAFKA.createTopics(2, input, output);
        send(input, chunks.subList(0, half));
        Path checkpoints = tmp.resolve("checkpoints");
        Path log1 = tmp.resolve("run1.log");
        Process p = start(jobArgs(model, input, output, checkpoints, "--create-topics", "2"), log1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (committed(output).size() < half && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(200);
        }
        assertThat(p.isAlive()).as(Files.readString(log1)).isTrue();
        assertThat(committed(output)).isEqualTo(expected.subList(0, half));
        p.destroyForcibly().waitFor(); // SIGKILL: no cancel, no final checkpoint, open transactions left behind
        assertThat(Checkpoints.latest(checkpoints)).as("a retained checkpoint").isPresent();

        // The rest arrives while the job is down; --resume latest continues from the newest retained checkpoint.
        send(input, chunks.subList(half, chunks.size()));
        Path log2 = tmp.resolve("run2.log");
        Process resumed = start(jobArgs(model, input, output, checkpoints, "--resume", "latest"), log2);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (committed(output).stream().noneMatch(e -> e.getKind() == EnrichmentKind.END) && System.nanoTime() < deadline
                && resumed.isAlive()) {
            Thread.sleep(200);
        }
        Thread.sleep(1000); // a few more checkpoints: a duplicate would be committed by now
        resumed.destroy(); // SIGTERM: the shutdown hook cancels the job
        assertThat(resumed.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log2)).contains("resuming from");
        assertThat(committed(output)).as("nothing lost, nothing duplicated").isEqualTo(expected);
    }

    static List<DocumentChunk> chunks(String docId, String text, int bytes) {
        List<String> texts = new ArrayList<>();
        new TextChunker(bytes).chunks(text).forEachRemaining(texts::add);
        List<DocumentChunk> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            out.add(DocumentChunk.newBuilder().setDocId(docId).setSeq(i).setText(texts.get(i)).setAttributes(Map.of())
                    .setLast(i == texts.size() - 1).setEventTime(Instant.ofEpochMilli(i)).build());
        }
        return out;
    }

    static void send(String topic, List<DocumentChunk> chunks) throws Exception {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (DocumentChunk c : chunks) {
                producer.send(new ProducerRecord<>(topic, c.getDocId().getBytes(StandardCharsets.UTF_8),
                        AvroCodec.documentChunk().encode(c))).get();
            }
        }
    }

    private static String[] jobArgs(Path model, String input, String output, Path checkpoints, String... more) {
        List<String> a = new ArrayList<>(List.of("job", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model", model.toString(),
                "--documents-topic", input, "--queries-topic", input + "-queries", "--enrichments-topic", output,
                "--rejected-topic", output + "-rejected", "--parallelism", "2", "--checkpoint-interval", "300ms",
                "--checkpoint-dir", checkpoints.toString(), "--group-id", "g-" + input, "--transactional-id-prefix", "t-" + output,
                "--engine-threads", "1"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static Process start(String[] args, Path log) throws Exception {
        return CliRun.start(List.of(args), log);
    }

    static List<Enrichment> committed(String topic) throws Exception {
        List<Enrichment> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(topic)) {
            out.add(Enrichment.newBuilder(AvroCodec.enrichment().decode(r.value())).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        return out;
    }
}
