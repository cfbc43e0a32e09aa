package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.QueryKind;
import io.spikestream.avro.Rejected;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The library as a Flink developer uses it: a stream of their own POJOs (no Kafka), scored per host by
 * {@link DocumentScoring} on a MiniCluster with RocksDB and checkpoints, its outputs written by an exactly-once
 * sink. An exception injected after a checkpoint — while records are applied, and while questions are answered —
 * restarts the job from that checkpoint, and the committed output equals the failure-free run's, record for
 * record. Elements without a key or without coordinates are rejected with the reason; the job goes on.
 */
class DocumentScoringITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** A user's event: which host logged it, the line, and where it was read. A Flink POJO. */
    public static class LogEvent {
        public String host;
        public String message;
        public int partition;
        public long offset;

        public LogEvent() {
        }

        LogEvent(String host, String message, int partition, long offset) {
            this.host = host;
            this.message = message;
            this.partition = partition;
            this.offset = offset;
        }
    }

    static List<LogEvent> events() {
        List<String> lines = TestModel.CORPUS.lines().toList();
        List<String> hosts = List.of("web-1", "db-1", "cache-1");
        List<LogEvent> out = new ArrayList<>();
        long[] offsets = new long[3];
        for (int i = 0; i < 45; i++) {
            int h = i % 3;
            out.add(new LogEvent(hosts.get(h), lines.get(i % lines.size()) + " #" + i, h, offsets[h]++));
        }
        out.add(5, new LogEvent(null, "a line of nobody", 0, 99));          // no key: rejected
        out.add(9, new LogEvent("web-1", "a line from nowhere", -1, 0));     // no coordinates: rejected
        return out;
    }

    /** Committed output of one run, wall-clock fields zeroed, grouped by document in order. */
    record Output(Map<String, List<Enrichment>> enrichments, Map<String, List<Alert>> alerts, List<Rejected> rejected) {
    }

    static Output run(String name, boolean failOnRecord, boolean failOnQuery) throws Exception {
        return run(name, TestModel.dir(), failOnRecord, failOnQuery);
    }

    static Output run(String name, java.nio.file.Path model, boolean failOnRecord, boolean failOnQuery) throws Exception {
        Configuration c = new Configuration();
        c.setString("state.backend.type", "rocksdb");
        c.setString("execution.checkpointing.interval", "200 ms");
        // barriers overtake the events already sent (the source emits them all at once), so checkpoints fall mid-stream
        c.setString("execution.checkpointing.unaligned.enabled", "true");
        c.setString("restart-strategy.type", "fixed-delay");
        c.setString("restart-strategy.fixed-delay.attempts", "3");
        c.setString("restart-strategy.fixed-delay.delay", "200 ms");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(c);
        env.setParallelism(2);
        DataStream<LogEvent> events = env.fromData(events(), TypeInformation.of(LogEvent.class)).name("events");
        DataStream<DocumentQuery> queries = env.fromSource(questions(), WatermarkStrategy.noWatermarks(), "questions").setParallelism(1);
        DocumentScoring<LogEvent> scoring = DocumentScoring.<LogEvent>builder()
                .model(model)
                .documentKey(e -> e.host)
                .text(e -> e.message)
                .records(e -> e.partition < 0 ? null : new RecordSource("events", e.partition, e.offset, e.host))
                .alertThreshold("3.0")
                .build();
        Injector.reset(failOnRecord, failOnQuery);
        ScoredStreams scored = scoring.apply(events, queries, new Injector<>(scoring.processor()));
        scored.enrichments().sinkTo(new CommittedSink<>(name + "-enrichments"));
        scored.alerts().sinkTo(new CommittedSink<>(name + "-alerts"));
        scored.rejected().sinkTo(new CommittedSink<>(name + "-rejected"));
        env.execute(name);
        Map<String, List<Enrichment>> enrichments = new TreeMap<>();
        for (Enrichment e : CommittedSink.<Enrichment>committed(name + "-enrichments")) {
            enrichments.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        Map<String, List<Alert>> alerts = new TreeMap<>();
        for (Alert a : CommittedSink.<Alert>committed(name + "-alerts")) {
            alerts.computeIfAbsent(a.getDocId(), k -> new ArrayList<>()).add(Alert.newBuilder(a).setProcessedAtMs(0).build());
        }
        List<Rejected> rejected = new ArrayList<>();
        for (Rejected r : CommittedSink.<Rejected>committed(name + "-rejected")) {
            rejected.add(Rejected.newBuilder(r).setRejectedAtMs(0).build());
        }
        rejected.sort(java.util.Comparator.comparing(Rejected::getReason));
        return new Output(enrichments, alerts, rejected);
    }

    /**
     * Questions, one per checkpoint: first 20 about a document that does not exist (the records are all applied
     * meanwhile), then about each host — answered from their complete state, whatever the timing.
     */
    static DataGeneratorSource<DocumentQuery> questions() {
        return new DataGeneratorSource<>(i -> {
            String doc = i < 20 ? "nobody" : List.of("web-1", "db-1", "cache-1").get((int) (i % 3));
            QueryKind kind = i % 2 == 0 ? QueryKind.EMBED : QueryKind.SCORE_LABELS;
            return DocumentQuery.newBuilder().setDocId(doc).setQueryId("q" + i).setKind(kind).setPrompt("\nThis log is about")
                    .setLabels(List.of(" payments", " a licence")).setMaxTokens(4).setTemperature(0f).setTopP(1f).setSeed(1)
                    .setEventTime(java.time.Instant.EPOCH).build();
        }, 26, RateLimiterStrategy.perCheckpoint(1), TypeInformation.of(DocumentQuery.class));
    }

    @Test
    void aFailureWhileRecordsAreAppliedAndOneWhileQuestionsAreAnsweredChangeNothingCommitted() throws Exception {
        Output expected = run("reference", false, false);
        assertThat(expected.enrichments()).containsOnlyKeys("web-1", "db-1", "cache-1", "nobody");
        long records = expected.enrichments().values().stream().flatMap(List::stream).filter(e -> e.getKind() == EnrichmentKind.RECORD).count();
        assertThat(records).as("one RECORD per event with a key and coordinates").isEqualTo(45);
        assertThat(expected.enrichments().get("web-1")).filteredOn(e -> e.getKind() == EnrichmentKind.ANSWER)
                .allSatisfy(a -> assertThat(a.getError()).isNull()).isNotEmpty();
        assertThat(expected.alerts()).isNotEmpty();
        assertThat(expected.rejected()).extracting(Rejected::getReason).containsExactly(
                "NO_KEY: the element has no document key",
                "NO_SOURCE: the record has no source coordinates (topic, partition, offset)");

        Output afterRecordFailure = run("record-failure", true, false);
        assertThat(Injector.FAILURES.get()).as("the failure was injected").isEqualTo(1);
        assertThat(Injector.OPENED.get()).as("the function was restored after it").isGreaterThan(2);
        assertThat(afterRecordFailure).isEqualTo(expected);

        Output afterQueryFailure = run("query-failure", false, true);
        assertThat(Injector.FAILURES.get()).isEqualTo(1);
        assertThat(afterQueryFailure).isEqualTo(expected);
    }

    /**
     * The spikingbrain_moe model (its full-attention layer's keys and values grow with each host's document and are
     * paged into RocksDB by position): a failure while records are applied changes nothing committed.
     */
    @Test
    void aSpikingBrainMoeModelsGrowingStateRecoversFromAFailureExactly() throws Exception {
        Output expected = run("moe-reference", TestModel.moeDir(), false, false);
        long records = expected.enrichments().values().stream().flatMap(List::stream).filter(e -> e.getKind() == EnrichmentKind.RECORD).count();
        assertThat(records).isEqualTo(45);
        Output afterRecordFailure = run("moe-record-failure", TestModel.moeDir(), true, false);
        assertThat(Injector.FAILURES.get()).as("the failure was injected").isEqualTo(1);
        assertThat(afterRecordFailure).isEqualTo(expected);
    }

    /** Slows elements down so that checkpoints fall mid-stream, and throws once after a checkpoint. */
    static final class Injector<T> extends DocumentProcessor<T> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger FAILURES = new AtomicInteger();
        static final AtomicInteger OPENED = new AtomicInteger();
        static final AtomicInteger RECORDS = new AtomicInteger();
        static final AtomicInteger CHECKPOINTS = new AtomicInteger();
        static final AtomicBoolean FAIL_RECORD = new AtomicBoolean();
        static final AtomicBoolean FAIL_QUERY = new AtomicBoolean();
        private transient boolean sawCheckpoint;

        Injector(DocumentProcessor<T> configured) {
            super(configured);
        }

        static void reset(boolean record, boolean query) {
            FAILURES.set(0);
            OPENED.set(0);
            RECORDS.set(0);
            FAIL_RECORD.set(record);
            FAIL_QUERY.set(query);
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            super.open(context);
            OPENED.incrementAndGet();
        }

        @Override
        public void processElement1(T element, Context ctx, Collector<Enrichment> out) throws Exception {
            Thread.sleep(50);
            if (sawCheckpoint && RECORDS.get() > 6 && FAIL_RECORD.compareAndSet(true, false)) {
                FAILURES.incrementAndGet();
                throw new IllegalStateException("injected failure while applying records");
            }
            super.processElement1(element, ctx, out);
            RECORDS.incrementAndGet();
        }

        @Override
        public void processElement2(DocumentQuery query, Context ctx, Collector<Enrichment> out) throws Exception {
            if (sawCheckpoint && !query.getDocId().equals("nobody") && FAIL_QUERY.compareAndSet(true, false)) {
                FAILURES.incrementAndGet();
                throw new IllegalStateException("injected failure while answering " + query.getQueryId());
            }
            super.processElement2(query, ctx, out);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            sawCheckpoint = true;
            CHECKPOINTS.incrementAndGet();
        }
    }
}
