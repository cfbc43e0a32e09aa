package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.QueryKind;
import io.spikestream.avro.Rejected;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.operator.input.Record;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The operator in Flink's keyed two-input test harness (RocksDB state), with helpers to feed and read it: over
 * {@link DocumentChunk}s (as the Kafka job's Avro input), or over {@link Record}s (records in arrival order).
 */
final class OperatorHarness implements AutoCloseable {
    private final KeyedTwoInputStreamOperatorTestHarness<String, Object, DocumentQuery, Enrichment> harness;

    /** Over chunks, as the Kafka job scores {@code DocumentChunk}s (rejections name the topic {@code documents}), element by element. */
    OperatorHarness(OperatorOptions options, OperatorSubtaskState restoreFrom) throws Exception {
        this(options, Bundles.NONE, restoreFrom);
    }

    /** Over chunks, in bundles. */
    OperatorHarness(OperatorOptions options, Bundles bundles, OperatorSubtaskState restoreFrom) throws Exception {
        this(DocumentScoring.documentChunks().options(options).sourceName("documents").bundles(bundles).build(), restoreFrom);
    }

    /** Over records with their coordinates, an alert per line above {@code alertThreshold} (as release 0.1 alerted). */
    static OperatorHarness records(OperatorOptions options, String alertThreshold, Bundles bundles, OperatorSubtaskState restoreFrom)
            throws Exception {
        return records(options, alertThreshold, Incidents.PER_LINE, bundles, restoreFrom);
    }

    /** Over records with their coordinates, alerting above {@code alertThreshold} as {@code incidents} say. */
    static OperatorHarness records(OperatorOptions options, String alertThreshold, Incidents incidents, Bundles bundles,
                                   OperatorSubtaskState restoreFrom) throws Exception {
        return new OperatorHarness(DocumentScoring.<Record>builder().options(options).documentKey(Record::docId).text(Record::text)
                .records(Record::source).alertThreshold(alertThreshold).incidents(incidents).sourceName("documents").bundles(bundles).build(),
                restoreFrom);
    }

    /** Over records with their coordinates, scoring and alerting {@code segment}s. */
    static OperatorHarness records(OperatorOptions options, String alertThreshold, SegmentKind segment, Bundles bundles,
                                   OperatorSubtaskState restoreFrom) throws Exception {
        return new OperatorHarness(DocumentScoring.<Record>builder().options(options).documentKey(Record::docId).text(Record::text)
                .records(Record::source).alertThreshold(alertThreshold).segment(segment).sourceName("documents").bundles(bundles).build(),
                restoreFrom);
    }

    /** Over chunks, scoring and alerting {@code segment}s. */
    static OperatorHarness chunks(OperatorOptions options, String alertThreshold, SegmentKind segment, OperatorSubtaskState restoreFrom)
            throws Exception {
        return new OperatorHarness(DocumentScoring.documentChunks().options(options).alertThreshold(alertThreshold).segment(segment)
                .sourceName("documents").build(), restoreFrom);
    }

    /** Over chunks, scoring and alerting {@code segment}s, in the given bundles. */
    static OperatorHarness chunks(OperatorOptions options, String alertThreshold, SegmentKind segment, Bundles bundles) throws Exception {
        return new OperatorHarness(DocumentScoring.documentChunks().options(options).alertThreshold(alertThreshold).segment(segment)
                .sourceName("documents").bundles(bundles).build(), null);
    }

    /** The alerts emitted so far, in order. */
    List<io.spikestream.avro.Alert> alerts() {
        ConcurrentLinkedQueue<StreamRecord<io.spikestream.avro.Alert>> q = harness.getSideOutput(DocumentProcessor.ALERTS);
        List<io.spikestream.avro.Alert> out = new ArrayList<>();
        if (q != null) {
            q.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private <T> OperatorHarness(DocumentScoring<T> scoring, OperatorSubtaskState restoreFrom) throws Exception {
        KeySelector<Object, String> elementKey = (KeySelector<Object, String>) scoring.documentKey();
        KeySelector<DocumentQuery, String> queryKey = DocumentQuery::getDocId;
        DocumentScoring<Object> s = (DocumentScoring<Object>) scoring;
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(s.operator(s.processor()), elementKey, queryKey, Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.setup();
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
    }

    static OperatorOptions options() {
        return options(TestModel.dir());
    }

    static OperatorOptions options(java.nio.file.Path model) {
        return OperatorOptions.defaults(model.toString()).withPageSize(2).withEngineThreads(2);
    }

    void chunk(DocumentChunk c) throws Exception {
        harness.processElement1(new StreamRecord<>(c));
    }

    void record(Record r) throws Exception {
        harness.processElement1(new StreamRecord<>(r));
    }

    void query(DocumentQuery q) throws Exception {
        harness.processElement2(new StreamRecord<>(q));
    }

    void time(long ms) throws Exception {
        harness.setProcessingTime(ms);
    }

    OperatorSubtaskState snapshot(long id) throws Exception {
        harness.prepareSnapshotPreBarrier(id);
        return harness.snapshot(id, id);
    }

    /** The input ends (a bounded job): what waits in a bundle is applied. */
    void endInput() throws Exception {
        harness.endInput1();
        harness.endInput2();
    }

    /** Main output so far, with processing time zeroed (it is wall-clock in production). */
    List<Enrichment> output() {
        List<Enrichment> out = new ArrayList<>();
        for (Object o : new ArrayList<>(harness.getOutput())) {
            if (o instanceof StreamRecord<?> r && r.getValue() instanceof Enrichment e) {
                out.add(Enrichment.newBuilder(e).setProcessedAtMs(0).build());
            }
        }
        return out;
    }

    List<Rejected> rejected() {
        ConcurrentLinkedQueue<StreamRecord<Rejected>> q = harness.getSideOutput(DocumentProcessor.REJECTED);
        List<Rejected> out = new ArrayList<>();
        if (q != null) {
            q.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    /**
     * Everything emitted so far, as emitted (processing time is the harness's, so wall-clock fields are fixed):
     * the main output, then the rejected side output, then the alerts.
     */
    List<org.apache.avro.specific.SpecificRecord> emitted() {
        List<org.apache.avro.specific.SpecificRecord> out = new ArrayList<>();
        for (Object o : new ArrayList<>(harness.getOutput())) {
            if (o instanceof StreamRecord<?> r && r.getValue() instanceof Enrichment e) {
                out.add(e);
            }
        }
        out.addAll(rejected());
        ConcurrentLinkedQueue<StreamRecord<io.spikestream.avro.Alert>> alerts = harness.getSideOutput(DocumentProcessor.ALERTS);
        if (alerts != null) {
            alerts.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        harness.close();
    }

    /** A document cut into chunks of the given sizes (characters), seq from 0, last on the final one. */
    static List<DocumentChunk> chunks(String docId, String text, int... sizes) {
        List<DocumentChunk> out = new ArrayList<>();
        int pos = 0;
        int k = 0;
        while (pos < text.length()) {
            int end = Math.min(text.length(), pos + sizes[k % sizes.length]);
            out.add(chunk(docId, out.size(), text.substring(pos, end), end == text.length()));
            pos = end;
            k++;
        }
        return out;
    }

    static DocumentChunk chunk(String docId, long seq, String text, boolean last) {
        return DocumentChunk.newBuilder().setDocId(docId).setSeq(seq).setText(text).setAttributes(Map.of()).setLast(last)
                .setEventTime(Instant.ofEpochMilli(1000 + seq)).build();
    }

    static DocumentQuery query(String docId, String queryId, QueryKind kind, String prompt, List<String> labels) {
        return DocumentQuery.newBuilder().setDocId(docId).setQueryId(queryId).setKind(kind).setPrompt(prompt).setLabels(labels)
                .setMaxTokens(6).setTemperature(0.7f).setTopP(0.9f).setSeed(42).setEventTime(Instant.ofEpochMilli(5)).build();
    }
}
