package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.Rejected;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import io.spikestream.records.AvroCodec;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job with bundles of 1, 7, 64 and the default size, each with a failure injected after a checkpoint
 * mid-stream, commits exactly what the job commits applying every element as it arrives without a failure — on a
 * text topic with many keys and on a topic of Avro chunks (chunks waiting after a backlog, out of order,
 * duplicated, undecodable) — but for {@code stateBytesWritten}, which falls with larger bundles.
 */
class BundlesITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final List<String> SIZES = List.of("1", "7", "64", "default");

    @TempDir
    Path tmp;

    /** Everything committed: enrichments per document (wall clock and bytes written aside), alerts, rejections. */
    record Output(Map<String, List<Enrichment>> enrichments, List<String> alerts, List<String> rejected) {
    }

    /** What the run wrote, and how many of its enrichments reported a state write. */
    record Run(Output output, long writes) {
    }

    @Test
    void aTextTopicWithManyKeysGivesTheSameOutputForEveryBundleSizeAndAFailure() throws Exception {
        String input = KafkaBrokerExtension.uniqueTopic("lines");
        KAFKA.createTopics(2, input);
        List<String> corpus = TestModel.CORPUS.lines().toList();
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (int i = 0; i < 96; i++) {
                String key = i % 13 == 12 ? null : "client-" + (i * 7 % 11);
                String value = i % 6 == 5 ? corpus.get(i % corpus.size()) + "\n" + corpus.get((i + 3) % corpus.size())
                        : i == 50 ? "x".repeat(700) // over --max-chunk-chars: rejected
                        : corpus.get(i % corpus.size()) + " #" + i;
                p.send(new ProducerRecord<>(input, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
            }
            p.flush();
        }
        assertSameForEveryBundleSize(input, "text", 96);
    }

    @Test
    void avroChunksGiveTheSameOutputForEveryBundleSizeAndAFailure() throws Exception {
        String input = KafkaBrokerExtension.uniqueTopic("documents");
        KAFKA.createTopics(2, input);
        List<DocumentChunk> chunks = SpikeStreamJobITCase.interleavedChunks();
        List<DocumentChunk> sent = new ArrayList<>(chunks);
        // out of order (a chunk waits for the one before it) and a producer's retry
        sent.set(10, chunks.get(13)); // the documents take turns: 10 and 13 are chunks of one document
        sent.set(13, chunks.get(10));
        sent.add(20, chunks.get(15));
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (DocumentChunk c : sent) {
                p.send(new ProducerRecord<>(input, c.getDocId().getBytes(StandardCharsets.UTF_8), AvroCodec.documentChunk().encode(c)));
            }
            p.flush();
        }
        try (KafkaProducer<byte[], byte[]> raw = producer()) {
            raw.send(new ProducerRecord<>(input, "broken".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3})).get();
        }
        assertSameForEveryBundleSize(input, "avro", sent.size() + 1);
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.setProperty(org.apache.kafka.clients.producer.ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(p, new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
    }

    private void assertSameForEveryBundleSize(String input, String format, int elements) throws Exception {
        SpikeStreamJobITCase.ObservedProcessor.sleepMs = 15;
        try {
            assertSame(input, format, elements);
        } finally {
            SpikeStreamJobITCase.ObservedProcessor.sleepMs = 40;
        }
    }

    private void assertSame(String input, String format, int elements) throws Exception {
        Run reference = run(input, format, "1", false);
        assertThat(reference.output().enrichments().values().stream().mapToLong(List::size).sum()).as("enrichments").isGreaterThan(elements / 2);
        assertThat(reference.output().alerts()).as("alerts").isNotEmpty();
        assertThat(reference.output().rejected()).as("rejected").hasSize(1);
        for (String size : SIZES) {
            Run bundled = run(input, format, size, true);
            assertThat(SpikeStreamJobITCase.ObservedProcessor.FAILURES.get()).as("a failure after a checkpoint, bundles of %s", size).isEqualTo(1);
            assertThat(SpikeStreamJobITCase.ObservedProcessor.OPENED.get()).as("restored, bundles of %s", size).isGreaterThan(2);
            assertThat(bundled.output()).as("%s in bundles of %s", format, size).isEqualTo(reference.output());
            if (size.equals("default")) {
                assertThat(bundled.writes()).as("state writes in bundles").isLessThan(reference.writes());
            }
        }
    }

    private Run run(String input, String format, String bundleSize, boolean failOnce) throws Exception {
        String out = KafkaBrokerExtension.uniqueTopic("enrichments");
        String alerts = KafkaBrokerExtension.uniqueTopic("alerts");
        String rejected = KafkaBrokerExtension.uniqueTopic("rejected");
        String queries = KafkaBrokerExtension.uniqueTopic("queries");
        KAFKA.createTopics(1, out, alerts, rejected, queries);
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", KAFKA.bootstrapServers(), "--model", TestModel.dir().toString(),
                "--input-format", format, "--documents-topic", input, "--queries-topic", queries, "--enrichments-topic", out,
                "--rejected-topic", rejected, "--alerts-topic", alerts, "--alert-threshold", "3.0", "--max-chunk-chars", "600",
                "--parallelism", "2", "--checkpoint-interval", "300ms", "--checkpoint-dir", tmp.resolve("checkpoints-" + out).toString(),
                "--group-id", "it-" + UUID.randomUUID(), "--transactional-id-prefix", "it-" + out, "--page-size", "2",
                "--engine-threads", "1", "--bounded"));
        if (!bundleSize.equals("default")) {
            args.addAll(List.of("--bundle-size", bundleSize));
        }
        JobOptions o = JobOptions.parse(args.toArray(String[]::new));
        SpikeStreamJobITCase.ObservedProcessor.reset(failOnce);
        long start = System.nanoTime();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o, SpikeStreamJobITCase.ObservedProcessor::new);
        env.execute("bundles-" + format + "-" + bundleSize);
        System.err.printf("bundles of %s, %s%s: %.1f s%n", bundleSize, format, failOnce ? " with a failure" : "", (System.nanoTime() - start) / 1e9);

        Map<String, List<Enrichment>> byDoc = new TreeMap<>();
        long writes = 0;
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(out)) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            if ((e.getKind() == EnrichmentKind.RECORD || e.getKind() == EnrichmentKind.CHUNK) && e.getStateBytesWritten() > 0) {
                writes++;
            }
            byDoc.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        List<String> alerted = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(alerts)) {
            alerted.add(Alert.newBuilder(AvroCodec.alert().decode(r.value())).setProcessedAtMs(0).build().toString());
        }
        List<String> rejections = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(rejected)) {
            rejections.add(Rejected.newBuilder(AvroCodec.rejected().decode(r.value())).setRejectedAtMs(0).build().toString());
        }
        alerted.sort(Comparator.naturalOrder());
        rejections.sort(Comparator.naturalOrder());
        return new Run(new Output(byDoc, alerted, rejections), writes);
    }
}
