package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole job against a real KRaft broker and a Flink MiniCluster (RocksDB, checkpoints every 300 ms):
 * interleaved documents many windows long, an exception injected after a checkpoint, a TaskManager killed,
 * a stop-with-savepoint and restart at another parallelism. Each time the read_committed output equals the
 * failure-free run's, record for record.
 */
class SpikeStreamJobITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(3).build());

    static final Map<String, String> DOCUMENTS = Map.of(
            "log-a", TestModel.CORPUS.repeat(6),
            "contract-b", "WHEREAS the Licensor wishes to grant a licence; Either Party may terminate upon notice. ".repeat(12),
            "log-c", "2026-11-02T01:01:07.001Z WARN  [payments-2] upstream ledger timed out after 30000 ms\n".repeat(10));
    static final int CHUNK_BYTES = 60;

    static String inputTopic;
    static List<DocumentChunk> all = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void produceInput() throws Exception {
        inputTopic = KafkaBrokerExtension.uniqueTopic("documents");
        KAFKA.createTopics(2, inputTopic);
        all = interleavedChunks();
        send(inputTopic, all);
        try (KafkaProducer<byte[], byte[]> raw = producer()) {
            raw.send(new ProducerRecord<>(inputTopic, "broken".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3})).get();
        }
    }

    static List<DocumentChunk> interleavedChunks() {
        List<List<DocumentChunk>> docs = new ArrayList<>();
        for (Map.Entry<String, String> d : new TreeMap<>(DOCUMENTS).entrySet()) {
            List<DocumentChunk> chunks = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            new TextChunker(CHUNK_BYTES).chunks(d.getValue()).forEachRemaining(texts::add);
            for (int i = 0; i < texts.size(); i++) {
                chunks.add(DocumentChunk.newBuilder().setDocId(d.getKey()).setSeq(i).setText(texts.get(i)).setAttributes(Map.of())
                        .setLast(i == texts.size() - 1).setEventTime(Instant.ofEpochMilli(i)).build());
            }
            docs.add(chunks);
        }
        List<DocumentChunk> out = new ArrayList<>();
        for (int i = 0; docs.stream().anyMatch(d -> !d.isEmpty()); i++) {
            List<DocumentChunk> d = docs.get(i % docs.size());
            if (!d.isEmpty()) {
                out.add(d.remove(0));
            }
        }
        return out;
    }

    static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void send(String topic, List<DocumentChunk> chunks) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (DocumentChunk c : chunks) {
                p.send(new ProducerRecord<>(topic, c.getDocId().getBytes(StandardCharsets.UTF_8), AvroCodec.documentChunk().encode(c)));
            }
            p.flush();
        }
    }

    /** Output per document, in order, without the wall-clock field. */
    static Map<String, List<Enrichment>> output(String topic) throws Exception {
        Map<String, List<Enrichment>> byDoc = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(topic)) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            byDoc.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        return byDoc;
    }

    JobOptions options(String out, String rejected, int parallelism) {
        String queries = KafkaBrokerExtension.uniqueTopic("queries");
        KAFKA.createTopics(1, out, rejected, queries);
        return JobOptions.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--model", TestModel.dir().toString(),
                "--documents-topic", inputTopic, "--queries-topic", queries, "--enrichments-topic", out, "--rejected-topic", rejected,
                "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", "300ms",
                "--checkpoint-dir", tmp.resolve("checkpoints-" + out).toString(), "--group-id", "it-" + UUID.randomUUID(),
                "--transactional-id-prefix", "it-" + out, "--page-size", "2", "--engine-threads", "1", "--bounded");
    }

    static Map<String, List<Enrichment>> reference;

    synchronized Map<String, List<Enrichment>> reference() throws Exception {
        if (reference == null) {
            String out = KafkaBrokerExtension.uniqueTopic("reference");
            String rej = KafkaBrokerExtension.uniqueTopic("rejected");
            JobOptions o = options(out, rej, 2);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
            SpikeStreamJob.build(env, o);
            env.execute("reference");
            reference = output(out);
            List<ConsumerRecord<byte[], byte[]>> rejected = KAFKA.readCommitted(rej);
            assertThat(rejected).hasSize(1);
            Rejected r = AvroCodec.rejected().decode(rejected.get(0).value());
            assertThat(r.getDocId()).isEqualTo("broken");
            assertThat(r.getReason()).startsWith("TRUNCATED_HEADER");
        }
        return reference;
    }

    @Test
    void referenceRunCoversEveryChunkAndDocument() throws Exception {
        Map<String, List<Enrichment>> ref = reference();
        assertThat(ref.keySet()).containsExactlyInAnyOrderElementsOf(DOCUMENTS.keySet());
        for (Map.Entry<String, List<Enrichment>> e : ref.entrySet()) {
            long chunks = all.stream().filter(c -> c.getDocId().equals(e.getKey())).count();
            List<Enrichment> records = e.getValue();
            assertThat(records).hasSize((int) chunks + 1);
            assertThat(records.get(records.size() - 1).getKind()).isEqualTo(EnrichmentKind.END);
            for (int i = 0; i < chunks; i++) {
                assertThat(records.get(i).getSeq()).isEqualTo(i);
            }
            // many times longer than the sliding window (7 tokens)
            assertThat(records.get(records.size() - 1).getTokenEnd()).isGreaterThan(100);
        }
    }

    // ------------------------------------------------------------------ failure injection

    /** Slows chunks down so checkpoints happen mid-stream; counts chunks and completed checkpoints. */
    static class ObservedProcessor<T> extends DocumentProcessor<T> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger CHUNKS = new AtomicInteger();
        static final AtomicInteger CHECKPOINTS = new AtomicInteger();
        static final AtomicBoolean FAIL_ONCE = new AtomicBoolean();
        static final AtomicInteger FAILURES = new AtomicInteger();
        static final AtomicInteger OPENED = new AtomicInteger();
        /** How long each element is held up, so that checkpoints fall mid-stream. */
        static volatile long sleepMs = 40;
        private transient boolean sawCheckpoint;

        ObservedProcessor(DocumentProcessor<T> configured) {
            super(configured);
        }

        static void reset(boolean fail) {
            CHUNKS.set(0);
            CHECKPOINTS.set(0);
            FAILURES.set(0);
            OPENED.set(0);
            FAIL_ONCE.set(fail);
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            super.open(context);
            OPENED.incrementAndGet();
        }

        @Override
        public void processElement1(T chunk, Context ctx, Collector<Enrichment> out) throws Exception {
            Thread.sleep(sleepMs);
            if (sawCheckpoint && CHUNKS.get() > 20 && FAIL_ONCE.compareAndSet(true, false)) {
                FAILURES.incrementAndGet();
                throw new IllegalStateException("injected failure after checkpoint " + CHECKPOINTS.get());
            }
            super.processElement1(chunk, ctx, out);
            CHUNKS.incrementAndGet();
        }

        @Override
        public void processElement2(DocumentQuery query, Context ctx, Collector<Enrichment> out) throws Exception {
            super.processElement2(query, ctx, out);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            sawCheckpoint = true;
            CHECKPOINTS.incrementAndGet();
        }
    }

    @Test
    void anExceptionAfterACheckpointLosesAndDuplicatesNothing() throws Exception {
        Map<String, List<Enrichment>> expected = reference();
        String out = KafkaBrokerExtension.uniqueTopic("after-exception");
        JobOptions o = options(out, KafkaBrokerExtension.uniqueTopic("rejected"), 2);
        ObservedProcessor.reset(true);
        long start = System.nanoTime();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o, ObservedProcessor::new);
        env.execute("exception");
        System.err.printf("exception recovery run: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(ObservedProcessor.FAILURES.get()).as("the failure was injected").isEqualTo(1);
        assertThat(ObservedProcessor.OPENED.get()).as("the job restarted from a checkpoint").isGreaterThan(2);
        assertThat(output(out)).isEqualTo(expected);
    }

    @Test
    void killedTaskManagersLoseAndDuplicateNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Map<String, List<Enrichment>> expected = reference();
        String out = KafkaBrokerExtension.uniqueTopic("after-tm-loss");
        JobOptions o = options(out, KafkaBrokerExtension.uniqueTopic("rejected"), 2);
        ObservedProcessor.reset(false);
        long start = System.nanoTime();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o, ObservedProcessor::new);
        JobClient job = env.executeAsync("tm-loss");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((ObservedProcessor.CHECKPOINTS.get() < 2 || ObservedProcessor.CHUNKS.get() < 20) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ObservedProcessor.CHECKPOINTS.get()).as("a checkpoint completed before the kill").isGreaterThanOrEqualTo(2);
        int processedBeforeKill = ObservedProcessor.CHUNKS.get();
        assertThat(processedBeforeKill).isLessThan(all.size());
        // Every TaskManager goes (where the scheduler put the processor is not ours to know), new ones come up.
        cluster.terminateTaskManager(1).get();
        cluster.terminateTaskManager(0).get();
        cluster.startTaskManager();
        cluster.startTaskManager();
        job.getJobExecutionResult().get();
        System.err.printf("TaskManager loss run: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(ObservedProcessor.OPENED.get()).as("the operator instances were restored after the kill").isGreaterThan(2);
        assertThat(output(out)).isEqualTo(expected);
    }

    @Test
    void stopWithSavepointAndRestartAtAnotherParallelism() throws Exception {
        Map<String, List<Enrichment>> expected = reference();
        String input = KafkaBrokerExtension.uniqueTopic("documents-rescale");
        KAFKA.createTopics(2, input);
        int half = all.size() / 2;
        send(input, all.subList(0, half));
        String out = KafkaBrokerExtension.uniqueTopic("rescaled");
        String rej = KafkaBrokerExtension.uniqueTopic("rejected");
        JobOptions first = withInput(options(out, rej, 2), input).withBounded(false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(first));
        SpikeStreamJob.build(env, first);
        JobClient job = env.executeAsync("before-rescale");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (countChunkRecords(out) < half && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(countChunkRecords(out)).as("the first half is committed").isEqualTo(half);
        String savepoint = job.stopWithSavepoint(false, tmp.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get();
        send(input, all.subList(half, all.size()));
        // Unbounded again: a bounded source restored from a savepoint keeps the splits' stored (absent) stopping
        // offsets, so the restarted job runs until every expected record is committed, then is cancelled.
        JobOptions second = first.withParallelism(3).withResume(savepoint);
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(second));
        SpikeStreamJob.build(env2, second);
        JobClient job2 = env2.executeAsync("after-rescale");
        long total = expected.values().stream().mapToLong(List::size).sum();
        deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (countRecords(out) < total && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        Thread.sleep(1500); // a few more checkpoints: a duplicate would be committed by now
        job2.cancel().get();
        assertThat(output(out)).isEqualTo(expected);
    }

    private static JobOptions withInput(JobOptions o, String input) {
        return o.withDocumentsTopic(input);
    }

    private static long countRecords(String topic) throws Exception {
        return output(topic).values().stream().mapToLong(List::size).sum();
    }

    private static long countChunkRecords(String topic) throws Exception {
        return output(topic).values().stream().flatMap(List::stream).filter(e -> e.getKind() == EnrichmentKind.CHUNK).count();
    }

    static Comparator<Enrichment> bySeq() {
        return Comparator.comparing(e -> e.getSeq() == null ? Long.MAX_VALUE : e.getSeq());
    }
}
