package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LabelScore;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.avro.Rejected;
import io.spikestream.avro.SpikeStatistics;
import io.spikestream.engine.Engine;
import io.spikestream.engine.TextChunkResult;
import io.spikestream.engine.UnusableModelException;
import io.spikestream.engine.generate.Continuation;
import io.spikestream.engine.generate.Generation;
import io.spikestream.engine.generate.SamplingParams;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.LineTracker;
import io.spikestream.engine.spiking.SpikeSummary;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.connectors.kafka.InputFormat;
import io.spikestream.connectors.kafka.SourceRecord;
import io.spikestream.operator.engine.SharedEngines;
import io.spikestream.operator.state.DocumentMeta;
import io.spikestream.operator.state.DocumentStore;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SpikeStream operator, keyed by document id: chunks (input 1) advance the document's engine state in
 * seq order; queries (input 2) are answered from a fork of it.
 *
 * <ul>
 *   <li>A chunk that arrives early waits in keyed state until the gap fills; a duplicate (seq already
 *       applied) is dropped and counted, so an at-least-once producer still yields exactly-once results.
 *       Too many waiting chunks, or a gap older than the timeout, rejects the document with the reason.</li>
 *   <li>The engine state lives in {@link DocumentStore} (header, GLA parts, key/value pages): a chunk rewrites
 *       only what it changed. A small in-memory cache avoids re-reading it for active documents.</li>
 *   <li>{@code last=true} emits an END record; the state is cleared then, or after a grace period during which
 *       queries are still answered. Documents inactive for the TTL are dropped.</li>
 *   <li>Plain-text and JSON records ({@link InputFormat#TEXT}, {@link InputFormat#JSON}) are applied in the
 *       offset order of their partition, a replayed offset is a duplicate; each yields one RECORD enrichment
 *       with the scores of its lines ({@link LineScorer}).</li>
 *   <li>Every line whose mean surprisal exceeds the alert threshold goes to the {@link #ALERTS} side output.</li>
 *   <li>Bad input never fails the job: it goes to the {@link #REJECTED} side output with the reason.</li>
 * </ul>
 */
public class DocumentProcessor extends KeyedCoProcessFunction<String, DocumentChunk, DocumentQuery, Enrichment> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DocumentProcessor.class);

    /** Records that could not be used, with the reason. */
    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected", TypeInformation.of(Rejected.class)) {
        private static final long serialVersionUID = 1L;
    };

    /** Lines above the alert threshold. */
    public static final OutputTag<Alert> ALERTS = new OutputTag<>("alerts", TypeInformation.of(Alert.class)) {
        private static final long serialVersionUID = 1L;
    };

    private final OperatorOptions options;
    private final String documentsTopic;
    private final String queriesTopic;

    private transient Engine engine;
    private transient DocumentStore store;
    private transient ValueState<DocumentMeta> metaState;
    private transient MapState<Long, DocumentChunk> early;
    private transient Map<String, DocumentState> cache;
    private transient Metrics metrics;
    private transient AlertThreshold alertThreshold;

    public DocumentProcessor(OperatorOptions options, String documentsTopic, String queriesTopic) {
        this.options = options;
        this.documentsTopic = documentsTopic;
        this.queriesTopic = queriesTopic;
    }

    @Override
    public void open(OpenContext openContext) {
        // A model that cannot load now will not load after a restart either: fail the job with the reason.
        try {
            engine = SharedEngines.acquire(Path.of(options.modelDir()), options.engineThreads());
        } catch (RuntimeException e) {
            throw new SuppressRestartsException(new UnusableModelException("the model in " + options.modelDir()
                    + " cannot be loaded on this TaskManager (" + host() + "): " + e.getMessage(), e));
        }
        if (engine.tokenizer().isEmpty()) {
            SharedEngines.release(engine);
            engine = null;
            throw new SuppressRestartsException(new UnusableModelException("the model in " + options.modelDir() + " on this TaskManager ("
                    + host() + ") has no tokenizer files (vocab.json + merges.txt, or tokenizer.json); documents are text", null));
        }
        try {
            alertThreshold = AlertThreshold.resolve(options.alertThreshold(), Path.of(options.modelDir())).orElse(null);
        } catch (RuntimeException e) {
            // a bad threshold or an unreadable calibration.json: the same on every attempt, restarting cannot help
            SharedEngines.release(engine);
            engine = null;
            throw new SuppressRestartsException(e);
        }
        store = new DocumentStore(getRuntimeContext(), engine, options.pageSize());
        metaState = getRuntimeContext().getState(new ValueStateDescriptor<>("meta", TypeInformation.of(DocumentMeta.class)));
        early = getRuntimeContext().getMapState(new MapStateDescriptor<>("early-chunks", Types.LONG, TypeInformation.of(DocumentChunk.class)));
        int capacity = options.cachedDocuments();
        cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, DocumentState> eldest) {
                return size() > capacity;
            }
        };
        metrics = new Metrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void close() {
        if (engine != null) {
            SharedEngines.release(engine);
            engine = null;
        }
    }

    // ---------------------------------------------------------------- chunks

    @Override
    public void processElement1(DocumentChunk chunk, Context ctx, Collector<Enrichment> out) throws Exception {
        if (options.inputFormat() != InputFormat.AVRO) {
            processRecord(chunk, ctx, out);
            return;
        }
        String docId = ctx.getCurrentKey();
        long now = ctx.timerService().currentProcessingTime();
        DocumentMeta meta = metaState.value();
        if (meta == null) {
            meta = new DocumentMeta();
        }
        switch (meta.status) {
            case DocumentMeta.REJECTED -> {
                reject(ctx, chunk, "document " + docId + " was rejected earlier: " + meta.reason);
                return;
            }
            case DocumentMeta.ENDED -> {
                if (chunk.getSeq() < meta.nextSeq) {
                    meta.duplicates++;
                    metrics.duplicates.inc();
                    metaState.update(meta);
                } else {
                    reject(ctx, chunk, "chunk seq " + chunk.getSeq() + " for document " + docId + ", which ended at seq " + (meta.nextSeq - 1));
                }
                return;
            }
            default -> {
            }
        }
        touch(meta, now, ctx);
        if (chunk.getSeq() < meta.nextSeq || early.contains(chunk.getSeq())) {
            meta.duplicates++;
            metrics.duplicates.inc();
            metaState.update(meta);
            return;
        }
        if (chunk.getText().length() > options.maxChunkChars()) {
            reject(ctx, chunk, "oversized chunk: " + chunk.getText().length() + " chars, the limit is " + options.maxChunkChars());
            rejectDocument(meta, ctx, "chunk seq " + chunk.getSeq() + " was oversized");
            return;
        }
        if (chunk.getSeq() > meta.nextSeq) {
            buffer(meta, chunk, ctx);
            return;
        }
        apply(meta, chunk, ctx, out);
        while (meta.status == DocumentMeta.ACTIVE && meta.bufferedChunks > 0 && early.contains(meta.nextSeq)) {
            DocumentChunk next = early.get(meta.nextSeq);
            early.remove(meta.nextSeq);
            meta.bufferedChunks--;
            meta.bufferedChars -= next.getText().length();
            apply(meta, next, ctx, out);
        }
        if (meta.bufferedChunks == 0 && meta.gapTimerMs != 0) {
            ctx.timerService().deleteProcessingTimeTimer(meta.gapTimerMs);
            meta.gapTimerMs = 0;
        }
        metaState.update(meta);
    }

    private void buffer(DocumentMeta meta, DocumentChunk chunk, Context ctx) throws Exception {
        if (meta.bufferedChunks + 1 > options.maxBufferedChunks()
                || meta.bufferedChars + chunk.getText().length() > options.maxBufferedChars()) {
            reject(ctx, chunk, "waiting for seq " + meta.nextSeq + ": the buffer of early chunks is full");
            rejectDocument(meta, ctx, "seq " + meta.nextSeq + " did not arrive before the buffer of early chunks filled ("
                    + options.maxBufferedChunks() + " chunks / " + options.maxBufferedChars() + " chars)");
            return;
        }
        early.put(chunk.getSeq(), chunk);
        meta.bufferedChunks++;
        meta.bufferedChars += chunk.getText().length();
        metrics.buffered.inc();
        if (meta.gapTimerMs == 0) {
            meta.gapTimerMs = ctx.timerService().currentProcessingTime() + options.gapTimeout().toMillis();
            ctx.timerService().registerProcessingTimeTimer(meta.gapTimerMs);
        }
        metaState.update(meta);
    }

    private void apply(DocumentMeta meta, DocumentChunk chunk, Context ctx, Collector<Enrichment> out) throws Exception {
        String docId = ctx.getCurrentKey();
        DocumentState doc;
        try {
            doc = loadState(docId, meta);
        } catch (StateFormatException e) {
            reject(ctx, chunk, "the document's state cannot be restored: " + e.getMessage());
            rejectDocument(meta, ctx, "its state cannot be restored: " + e.getMessage());
            return;
        }
        long start = doc.position();
        String tail = doc.tokenizerTail();
        TextChunkResult r = engine.advanceText(doc, chunk.getText(), chunk.getLast());
        int n = r.result().size();
        LineTracker.Lines lines = LineTracker.track(meta.currentLine(), tail, chunk.getText(), r, chunk.getLast());
        meta.keepLine(lines.open());
        long written = store.save(doc, start, n);
        cache.put(docId, doc);
        meta.nextSeq = chunk.getSeq() + 1;
        meta.chunksApplied++;
        Enrichment.Builder e = advanced(meta, docId, doc, start, r, chunk.getText(), written, ctx)
                .setSeq(chunk.getSeq())
                .setKind(EnrichmentKind.CHUNK)
                .setEmbedding(options.embedChunks() ? floats(r.result().lastHidden()) : null)
                .setLines(lineRecords(lines.closed()));
        long stateBytes = e.getStateBytes();
        out.collect(e.build());
        alerts(lines.closed(), documentsTopic, null, null, chunk.getSeq(), null, ctx);
        if (chunk.getLast()) {
            end(meta, chunk.getSeq(), stateBytes, ctx, out);
        }
    }

    // ---------------------------------------------------------------- plain-text and JSON records

    /** One record of a plain topic: applied once, in its partition's offset order; one RECORD enrichment. */
    private void processRecord(DocumentChunk record, Context ctx, Collector<Enrichment> out) throws Exception {
        String docId = ctx.getCurrentKey();
        SourceRecord source = SourceRecord.of(record);
        DocumentMeta meta = metaState.value();
        if (meta == null) {
            meta = new DocumentMeta();
        }
        if (meta.status == DocumentMeta.REJECTED) {
            rejectRecord(ctx, record, source, "document " + docId + " was rejected earlier: " + meta.reason);
            return;
        }
        touch(meta, ctx.timerService().currentProcessingTime(), ctx);
        if (source.offset() <= meta.appliedOffset(source.partition())) {
            meta.duplicates++;
            metrics.duplicates.inc();
            metaState.update(meta);
            return;
        }
        meta.markApplied(source.partition(), source.offset());
        if (record.getText().length() > options.maxChunkChars()) {
            rejectRecord(ctx, record, source, "oversized record: " + record.getText().length() + " chars, the limit is " + options.maxChunkChars());
            metaState.update(meta);
            return;
        }
        DocumentState doc;
        try {
            doc = loadState(docId, meta);
        } catch (StateFormatException e) {
            rejectRecord(ctx, record, source, "the document's state cannot be restored: " + e.getMessage());
            rejectDocument(meta, ctx, "its state cannot be restored: " + e.getMessage());
            return;
        }
        long start = doc.position();
        LineScorer.Scored scored = LineScorer.advance(engine, doc, record.getText(), meta.openLine);
        int n = scored.tokens().result().size();
        long written = n == 0 ? 0 : store.save(doc, start, n);
        cache.put(docId, doc);
        meta.openLine += scored.lines().size();
        metrics.records.inc();
        out.collect(advanced(meta, docId, doc, start, scored.tokens(), scored.text(), written, ctx)
                .setSeq(null)
                .setKind(EnrichmentKind.RECORD)
                .setEmbedding(options.embedChunks() && doc.position() > 0 ? floats(doc.lastHidden()) : null)
                .setSourceTopic(source.topic())
                .setPartition(source.partition())
                .setOffset(source.offset())
                .setRecordKey(source.key())
                .setLines(lineRecords(scored.lines()))
                .build());
        alerts(scored.lines(), source.topic(), source.partition(), source.offset(), null, source.key(), ctx);
        metaState.update(meta);
    }

    /**
     * After {@code doc} advanced by the tokens of {@code r} from {@code start}: the meta's totals and the metrics
     * updated, and an enrichment with the fields every CHUNK and RECORD record has.
     */
    private Enrichment.Builder advanced(DocumentMeta meta, String docId, DocumentState doc, long start, TextChunkResult r, String text,
                                        long written, Context ctx) {
        int n = r.result().size();
        SurprisalSummary s = SurprisalSummary.of(r, text, options.topSpans(), id -> engine.decode(new int[] {id}));
        meta.tokens = doc.position();
        meta.scoredTokens += s.scored();
        meta.surprisalSum += s.sum();
        if (s.scored() > 0) {
            meta.maxSurprisal = meta.scoredTokens == s.scored() ? s.max() : Math.max(meta.maxSurprisal, s.max());
        }
        meta.stateBytesWritten = written;
        long stateBytes = StateCodec.encodedSize(doc);
        metrics.chunk(n, written, stateBytes, s);
        SpikeStatistics spikes = r.result().spikes() == null ? null : spikeRecord(r.result().spikes().summary());
        if (spikes != null) {
            metrics.spikes(spikes);
        }
        return Enrichment.newBuilder()
                .setDocId(docId)
                .setQueryId(null)
                .setTokenStart(start)
                .setTokenEnd(start + n)
                .setMeanSurprisal(s.mean())
                .setMaxSurprisal(s.maxOrNull())
                .setPerplexity(s.perplexity())
                .setSpans(s.spans())
                .setAnswer(null)
                .setLabelScores(null)
                .setStateBytes(stateBytes)
                .setStateBytesWritten(written)
                .setModelFingerprint(engine.fingerprint().hex())
                .setProcessedAtMs(ctx.timerService().currentProcessingTime())
                .setError(null)
                .setSpikes(spikes);
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown host: " + e.getMessage();
        }
    }

    /** Every line above the threshold, to the {@link #ALERTS} side output. */
    private void alerts(List<LineScore> lines, String topic, Integer partition, Long offset, Long seq, String key, Context ctx) throws Exception {
        if (alertThreshold == null) {
            return;
        }
        for (LineScore l : lines) {
            if (alertThreshold.exceeded(l)) {
                metrics.alerts.inc();
                ctx.output(ALERTS, Alert.newBuilder()
                        .setDocId(ctx.getCurrentKey())
                        .setLine(l.line())
                        .setText(l.text())
                        .setScore(l.mean())
                        .setMaxSurprisal(l.max())
                        .setThreshold(alertThreshold.nats())
                        .setThresholdName(alertThreshold.name())
                        .setSourceTopic(topic)
                        .setPartition(partition)
                        .setOffset(offset)
                        .setSeq(seq)
                        .setRecordKey(key)
                        .setTokenStart(l.tokenStart())
                        .setTokenEnd(l.tokenEnd())
                        .setModelFingerprint(engine.fingerprint().hex())
                        .setProcessedAtMs(ctx.timerService().currentProcessingTime())
                        .build());
            }
        }
    }

    static List<LineSurprisal> lineRecords(List<LineScore> lines) {
        List<LineSurprisal> out = new ArrayList<>(lines.size());
        for (LineScore l : lines) {
            out.add(LineSurprisal.newBuilder()
                    .setLine(l.line())
                    .setCharStart(l.charStart())
                    .setCharEnd(l.charEnd())
                    .setTokenStart(l.tokenStart())
                    .setTokenEnd(l.tokenEnd())
                    .setMeanSurprisal(l.isScored() ? l.mean() : null)
                    .setMaxSurprisal(l.isScored() ? l.max() : null)
                    .setText(l.text())
                    .build());
        }
        return out;
    }

    private void rejectRecord(Context ctx, DocumentChunk record, SourceRecord source, String reason) {
        metrics.rejected.inc();
        ctx.output(REJECTED, Rejected.newBuilder()
                .setSourceTopic(source.topic())
                .setPartition(source.partition())
                .setOffset(source.offset())
                .setDocId(record.getDocId())
                .setReason(reason)
                .setRaw(ByteBuffer.wrap(record.getText().getBytes(StandardCharsets.UTF_8)))
                .setRejectedAtMs(ctx.timerService().currentProcessingTime())
                .build());
    }

    private void end(DocumentMeta meta, long seq, long stateBytes, Context ctx, Collector<Enrichment> out) throws Exception {
        String docId = ctx.getCurrentKey();
        boolean scored = meta.scoredTokens > 0;
        out.collect(Enrichment.newBuilder()
                .setDocId(docId)
                .setSeq(seq)
                .setQueryId(null)
                .setKind(EnrichmentKind.END)
                .setTokenStart(0)
                .setTokenEnd(meta.tokens)
                .setMeanSurprisal(scored ? meta.surprisalSum / meta.scoredTokens : null)
                .setMaxSurprisal(scored ? meta.maxSurprisal : null)
                .setPerplexity(scored ? Math.exp(meta.surprisalSum / meta.scoredTokens) : null)
                .setSpans(List.of())
                .setEmbedding(null)
                .setAnswer(null)
                .setLabelScores(null)
                .setStateBytes(stateBytes)
                .setStateBytesWritten(0)
                .setModelFingerprint(engine.fingerprint().hex())
                .setProcessedAtMs(ctx.timerService().currentProcessingTime())
                .setError(null)
                .build());
        metrics.ended.inc();
        meta.status = DocumentMeta.ENDED;
        for (Map.Entry<Long, DocumentChunk> e : early.entries()) {
            reject(ctx, e.getValue(), "chunk seq " + e.getKey() + " came after the document's last chunk (seq " + seq + ")");
        }
        early.clear();
        meta.bufferedChunks = 0;
        meta.bufferedChars = 0;
        deleteTimer(ctx, meta.gapTimerMs);
        meta.gapTimerMs = 0;
        if (options.endGrace().isZero()) {
            clearEngineState(docId);
        } else {
            meta.graceTimerMs = ctx.timerService().currentProcessingTime() + options.endGrace().toMillis();
            ctx.timerService().registerProcessingTimeTimer(meta.graceTimerMs);
        }
    }

    // ---------------------------------------------------------------- queries

    @Override
    public void processElement2(DocumentQuery query, Context ctx, Collector<Enrichment> out) throws Exception {
        String docId = ctx.getCurrentKey();
        DocumentMeta meta = metaState.value();
        Enrichment.Builder answer = Enrichment.newBuilder()
                .setDocId(docId)
                .setSeq(null)
                .setQueryId(query.getQueryId())
                .setKind(EnrichmentKind.ANSWER)
                .setTokenStart(0)
                .setTokenEnd(0)
                .setMeanSurprisal(null)
                .setMaxSurprisal(null)
                .setPerplexity(null)
                .setSpans(List.of())
                .setEmbedding(null)
                .setAnswer(null)
                .setLabelScores(null)
                .setStateBytes(0)
                .setStateBytesWritten(0)
                .setModelFingerprint(engine.fingerprint().hex())
                .setError(null);
        if (meta == null || (meta.status == DocumentMeta.ACTIVE && meta.tokens == 0 && !store.exists())) {
            out.collect(answer.setError("no document " + docId + " (not started yet, or expired)")
                    .setProcessedAtMs(ctx.timerService().currentProcessingTime()).build());
            metrics.queries.inc();
            return;
        }
        if (meta.status == DocumentMeta.ENDED && !store.exists()) {
            out.collect(answer.setError("document " + docId + " ended and its state was cleared (grace period over)")
                    .setProcessedAtMs(ctx.timerService().currentProcessingTime()).build());
            metrics.queries.inc();
            return;
        }
        if (meta.status == DocumentMeta.REJECTED) {
            out.collect(answer.setError("document " + docId + " was rejected: " + meta.reason)
                    .setProcessedAtMs(ctx.timerService().currentProcessingTime()).build());
            metrics.queries.inc();
            return;
        }
        touch(meta, ctx.timerService().currentProcessingTime(), ctx);
        metaState.update(meta);
        try {
            DocumentState doc = loadState(docId, meta);
            DocumentState fork = engine.fork(doc);
            engine.flushTail(fork); // the question sees all text received, including a held-back last word
            answer.setTokenEnd(fork.position()).setStateBytes(StateCodec.encodedSize(doc));
            answerQuery(query, fork, answer);
        } catch (IllegalArgumentException | IllegalStateException | StateFormatException e) {
            answer.setError(e.getMessage());
        }
        metrics.queries.inc();
        out.collect(answer.setProcessedAtMs(ctx.timerService().currentProcessingTime()).build());
    }

    private void answerQuery(DocumentQuery q, DocumentState fork, Enrichment.Builder answer) {
        String prompt = q.getPrompt() == null ? "" : q.getPrompt();
        int[] promptTokens = engine.encodeTemplate(prompt);
        switch (q.getKind()) {
            case GENERATE -> {
                int max = Math.min(Math.max(1, q.getMaxTokens()), options.maxAnswerTokens());
                double topP = q.getTopP() <= 0 ? 1.0 : q.getTopP();
                Generation g = engine.generate(fork, promptTokens, new SamplingParams(max, q.getTemperature(), topP, q.getSeed()));
                answer.setAnswer(engine.decode(g.tokens()));
            }
            case SCORE_LABELS -> {
                if (q.getLabels().isEmpty()) {
                    throw new IllegalArgumentException("SCORE_LABELS needs at least one label");
                }
                List<int[]> candidates = new ArrayList<>();
                for (String label : q.getLabels()) {
                    int[] ids = engine.encodeLiteral(label);
                    if (ids.length == 0) {
                        throw new IllegalArgumentException("label \"" + label + "\" is empty");
                    }
                    candidates.add(ids);
                }
                List<Continuation> scores = engine.scoreContinuations(fork, promptTokens, candidates);
                List<LabelScore> out = new ArrayList<>();
                for (int i = 0; i < scores.size(); i++) {
                    out.add(LabelScore.newBuilder().setLabel(q.getLabels().get(i))
                            .setLogLikelihood(scores.get(i).logLikelihood()).setProbability(scores.get(i).probability()).build());
                }
                answer.setLabelScores(out);
            }
            case EMBED -> {
                if (promptTokens.length > 0) {
                    engine.advance(fork, promptTokens);
                }
                if (fork.position() == 0) {
                    throw new IllegalArgumentException("the document has no tokens yet to embed");
                }
                answer.setEmbedding(floats(fork.lastHidden()));
            }
        }
    }

    // ---------------------------------------------------------------- timers and lifetime

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Enrichment> out) throws Exception {
        DocumentMeta meta = metaState.value();
        if (meta == null) {
            return;
        }
        if (timestamp == meta.gapTimerMs) {
            meta.gapTimerMs = 0;
            if (meta.status == DocumentMeta.ACTIVE && meta.bufferedChunks > 0) {
                rejectDocument(meta, ctx, "seq " + meta.nextSeq + " did not arrive within " + options.gapTimeout());
            }
            metaState.update(meta);
        }
        if (timestamp == meta.graceTimerMs) {
            // the end of the grace period: the engine state goes, the small record of the end stays until the TTL
            meta.graceTimerMs = 0;
            clearEngineState(ctx.getCurrentKey());
            metaState.update(meta);
        }
        if (timestamp == meta.ttlTimerMs) {
            long expiry = meta.lastActivityMs + options.stateTtl().toMillis();
            if (expiry <= timestamp) {
                metrics.expired.inc();
                clearDocument(ctx, meta, true);
            } else {
                meta.ttlTimerMs = expiry;
                ctx.timerService().registerProcessingTimeTimer(expiry);
                metaState.update(meta);
            }
        }
    }

    /** Records activity and makes sure an inactivity timer is pending. */
    private void touch(DocumentMeta meta, long now, Context ctx) {
        meta.lastActivityMs = now;
        if (!options.stateTtl().isZero() && meta.ttlTimerMs == 0) {
            meta.ttlTimerMs = now + options.stateTtl().toMillis();
            ctx.timerService().registerProcessingTimeTimer(meta.ttlTimerMs);
        }
    }

    /** Rejects the whole document: waiting chunks go to the side output, later chunks are rejected too. */
    private void rejectDocument(DocumentMeta meta, Context ctx, String reason) throws Exception {
        String docId = ctx.getCurrentKey();
        LOG.warn("rejecting document {}: {}", docId, reason);
        for (Map.Entry<Long, DocumentChunk> e : early.entries()) {
            reject(ctx, e.getValue(), "document " + docId + " rejected: " + reason);
        }
        early.clear();
        clearEngineState(docId);
        deleteTimer(ctx, meta.gapTimerMs);
        deleteTimer(ctx, meta.graceTimerMs);
        meta.gapTimerMs = 0;
        meta.graceTimerMs = 0;
        meta.bufferedChunks = 0;
        meta.bufferedChars = 0;
        meta.status = DocumentMeta.REJECTED;
        meta.reason = reason;
        metrics.documentsRejected.inc();
        metaState.update(meta);
    }

    /** Drops everything kept for the current document (after the TTL). Waiting chunks are rejected. */
    private void clearDocument(Context ctx, DocumentMeta meta, boolean rejectWaiting) throws Exception {
        String docId = ctx.getCurrentKey();
        if (rejectWaiting) {
            for (Map.Entry<Long, DocumentChunk> e : early.entries()) {
                reject(ctx, e.getValue(), "document " + docId + " expired after " + options.stateTtl() + " without activity");
            }
        }
        deleteTimer(ctx, meta.gapTimerMs);
        deleteTimer(ctx, meta.ttlTimerMs);
        deleteTimer(ctx, meta.graceTimerMs);
        early.clear();
        clearEngineState(docId);
        metaState.clear();
    }

    private void clearEngineState(String docId) {
        store.clear();
        cache.remove(docId);
    }

    private static void deleteTimer(Context ctx, long timestamp) {
        if (timestamp != 0) {
            ctx.timerService().deleteProcessingTimeTimer(timestamp);
        }
    }

    private DocumentState loadState(String docId, DocumentMeta meta) throws Exception {
        DocumentState cached = cache.get(docId);
        if (cached != null && cached.position() == meta.tokens) {
            return cached;
        }
        DocumentState doc = store.load();
        if (doc.position() != meta.tokens) {
            throw new StateFormatException("engine state is at position " + doc.position() + " but " + meta.tokens + " tokens were applied");
        }
        cache.put(docId, doc);
        return doc;
    }

    private void reject(Context ctx, DocumentChunk chunk, String reason) {
        metrics.rejected.inc();
        ctx.output(REJECTED, Rejected.newBuilder()
                .setSourceTopic(documentsTopic)
                .setPartition(-1)
                .setOffset(-1)
                .setDocId(chunk.getDocId())
                .setReason(reason)
                .setRaw(encode(chunk))
                .setRejectedAtMs(ctx.timerService().currentProcessingTime())
                .build());
    }

    private static ByteBuffer encode(DocumentChunk chunk) {
        try {
            return DocumentChunk.getEncoder().encode(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot re-encode a chunk for the rejected topic", e);
        }
    }

    /** The Avro form of a chunk's spike statistics (W8ASpike models). */
    static SpikeStatistics spikeRecord(SpikeSummary s) {
        return SpikeStatistics.newBuilder()
                .setActivations(s.activations())
                .setZeroFraction(s.zeroFraction())
                .setMeanAbs(s.meanAbs())
                .setMeanBitwise(s.meanBitwise())
                .setMaxAbs(s.maxAbs())
                .setSilentChannelFraction(s.silentChannelFraction())
                .setEnergyPicojoulesPerToken(s.spikingPicojoulesPerToken())
                .setDenseEnergyPicojoulesPerToken(s.densePicojoulesPerToken())
                .build();
    }

    private static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    /** The operator's metrics (per subtask). */
    private static final class Metrics {
        final Counter tokens;
        final Counter applied;
        final Counter buffered;
        final Counter duplicates;
        final Counter rejected;
        final Counter documentsRejected;
        final Counter ended;
        final Counter expired;
        final Counter queries;
        final Counter records;
        final Counter alerts;
        final Counter stateBytesWritten;
        volatile long lastStateBytes;
        volatile long lastBytesWritten;
        volatile double lastMeanSurprisal = Double.NaN;
        final Counter spikeActivations;
        volatile double lastSpikeZeroFraction = Double.NaN;
        volatile double lastSpikeMeanBitwise = Double.NaN;
        volatile long lastSpikeMaxAbs;
        volatile double lastSilentChannelFraction = Double.NaN;
        volatile double lastEnergyPicojoulesPerToken = Double.NaN;

        Metrics(MetricGroup group) {
            MetricGroup g = group.addGroup("spikestream");
            tokens = g.counter("tokens");
            g.meter("tokensPerSecond", new MeterView(tokens));
            applied = g.counter("chunksApplied");
            buffered = g.counter("chunksBuffered");
            duplicates = g.counter("chunksDuplicate");
            rejected = g.counter("recordsRejected");
            documentsRejected = g.counter("documentsRejected");
            ended = g.counter("documentsEnded");
            expired = g.counter("documentsExpired");
            queries = g.counter("queriesAnswered");
            records = g.counter("recordsApplied");
            alerts = g.counter("alerts");
            stateBytesWritten = g.counter("stateBytesWritten");
            g.gauge("lastStateBytes", () -> lastStateBytes);
            g.gauge("lastChunkStateBytesWritten", () -> lastBytesWritten);
            g.gauge("lastChunkMeanSurprisal", () -> lastMeanSurprisal);
            spikeActivations = g.counter("spikeActivations");
            g.gauge("lastChunkSpikeZeroFraction", () -> lastSpikeZeroFraction);
            g.gauge("lastChunkSpikeMeanBitwise", () -> lastSpikeMeanBitwise);
            g.gauge("lastChunkSpikeMaxAbs", () -> lastSpikeMaxAbs);
            g.gauge("lastChunkSilentChannelFraction", () -> lastSilentChannelFraction);
            g.gauge("lastChunkEnergyPicojoulesPerToken", () -> lastEnergyPicojoulesPerToken);
        }

        void spikes(SpikeStatistics s) {
            spikeActivations.inc(s.getActivations());
            lastSpikeZeroFraction = s.getZeroFraction();
            lastSpikeMeanBitwise = s.getMeanBitwise();
            lastSpikeMaxAbs = s.getMaxAbs();
            lastSilentChannelFraction = s.getSilentChannelFraction();
            lastEnergyPicojoulesPerToken = s.getEnergyPicojoulesPerToken();
        }

        void chunk(int n, long written, long stateBytes, SurprisalSummary s) {
            tokens.inc(n);
            applied.inc();
            stateBytesWritten.inc(written);
            lastBytesWritten = written;
            lastStateBytes = stateBytes;
            if (s.mean() != null) {
                lastMeanSurprisal = s.mean();
            }
        }
    }
}
