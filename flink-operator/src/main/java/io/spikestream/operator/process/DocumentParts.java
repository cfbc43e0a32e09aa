package io.spikestream.operator.process;

import io.spikestream.avro.DocumentQuery;
import io.spikestream.engine.Engine;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.operator.Incidents;
import io.spikestream.operator.OperatorOptions;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.state.DocumentRecord;
import io.spikestream.operator.state.DocumentRecords;
import io.spikestream.operator.state.EngineStates;
import io.spikestream.operator.state.LifetimeState;
import io.spikestream.operator.state.OpenDocuments;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The operator's parts and the way an element goes through them: the order of chunks ({@link ChunkSequencer})
 * or records ({@link RecordOrder}), the document's lifetime ({@link DocumentLifetime}), scoring
 * ({@link DocumentScorer}), answers ({@link QueryAnswerer}) and the output records ({@link OutputRecords}).
 * Each part owns its piece of the document's {@link DocumentRecord}; this class loads it once and stores it, with
 * the engine state, once per bundle of the document's elements ({@link #commit}).
 */
public final class DocumentParts {
    private static final Logger LOG = LoggerFactory.getLogger(DocumentParts.class);

    private final DocumentRecords records;
    private final EngineStates states;
    private final ChunkSequencer sequencer;
    private final DocumentLifetime lifetime;
    private final DocumentScorer scorer;
    private final QueryAnswerer answerer;
    private final OutputRecords outputs;
    private final OperatorMetrics metrics;
    private final int maxChunkChars;
    /** The current document's record when it changed since it was stored. */
    private DocumentRecord changed;

    /**
     * @param threshold  when a line (or with {@code segment} paragraph, a paragraph) alerts; null: no alerts
     * @param segment    what is alerted: lines (into incidents) or paragraphs (each one)
     * @param background −ln p per token id of the calibration's background model, for paragraphs' contextual
     *                   surprisal; null without one
     * @param norms      the calibration's norms of {@code segment}s, for their reported scores; null without them
     */
    public DocumentParts(RuntimeContext context, Engine engine, OperatorOptions o, AlertThreshold threshold, Incidents incidents,
                         SegmentKind segment, double[] background, LengthNorms norms, String sourceName, OpenDocuments open) {
        this.records = new DocumentRecords(context, open);
        this.states = new EngineStates(context, engine, o.pageSize(), o.cachedDocuments());
        this.sequencer = new ChunkSequencer(context, o.maxBufferedChunks(), o.maxBufferedChars(), o.gapTimeout());
        this.lifetime = new DocumentLifetime(o.stateTtl(), o.endGrace());
        this.metrics = new OperatorMetrics(context.getMetricGroup(), open);
        this.outputs = new OutputRecords(engine.fingerprint().hex(), sourceName);
        this.scorer = new DocumentScorer(engine, states, outputs, threshold,
                threshold == null || segment != SegmentKind.LINE ? null : new IncidentAlerts(threshold, incidents, metrics), metrics, o.topSpans(),
                o.embedChunks(), segment == SegmentKind.PARAGRAPH ? new ParagraphSegments(background, norms) : null,
                o.maxDocumentTokens().resolve(engine.model()));
        this.answerer = new QueryAnswerer(engine, states, outputs, o.maxAnswerTokens());
        this.maxChunkChars = o.maxChunkChars();
    }

    /** The current document's record, or a new one (not stored until something happens to it). */
    public DocumentRecord load() throws Exception {
        DocumentRecord r = records.get();
        return r != null ? r : new DocumentRecord();
    }

    /**
     * Ends the current document's bundle: the model runs over its chunks still waiting for their pass, and what its
     * elements changed is stored (see {@link #commit}). Returns the engine state's bytes written.
     */
    public long finish(DocumentRecord doc, DocumentContext ctx) throws Exception {
        scorer.finishChunks(doc.progress, ctx);
        return commit();
    }

    /**
     * Stores what the current document's elements since the last commit changed: its engine state (the pages
     * their passes touched, once) and its record. Returns the engine state's bytes written.
     */
    private long commit() throws Exception {
        long written = states.commit();
        if (written > 0) {
            metrics.wrote(written);
        }
        if (changed != null) {
            if (written > 0) {
                changed.progress.stateBytesWritten = written;
            }
            records.put(changed);
            changed = null;
        }
        return written;
    }

    private void changed(DocumentRecord doc) {
        changed = doc;
    }

    // ---------------------------------------------------------------- chunks

    public void chunk(DocumentRecord doc, Chunk c, DocumentContext ctx) throws Exception {
        switch (doc.lifetime.status) {
            case LifetimeState.REJECTED -> {
                reject(c, "document " + ctx.docId() + " was rejected earlier: " + doc.lifetime.reason, ctx);
                return;
            }
            case LifetimeState.ENDED -> {
                if (c.seq() < doc.sequence.nextSeq) {
                    duplicate(doc);
                } else {
                    reject(c, "chunk seq " + c.seq() + " for document " + ctx.docId() + ", which ended at seq " + (doc.sequence.nextSeq - 1), ctx);
                }
                return;
            }
            default -> {
            }
        }
        lifetime.touch(doc.lifetime, ctx.timers());
        if (sequencer.isDuplicate(doc.sequence, c)) {
            duplicate(doc);
            return;
        }
        if (c.text().length() > maxChunkChars) {
            reject(c, "oversized chunk: " + c.text().length() + " chars, the limit is " + maxChunkChars, ctx);
            rejectDocument(doc, "chunk seq " + c.seq() + " was oversized", ctx);
            return;
        }
        if (sequencer.isEarly(doc.sequence, c)) {
            long missing = doc.sequence.nextSeq;
            String full = sequencer.buffer(doc.sequence, c, ctx.timers());
            if (full != null) {
                reject(c, "waiting for seq " + missing + ": the buffer of early chunks is full", ctx);
                rejectDocument(doc, full, ctx);
                return;
            }
            metrics.buffered.inc();
            changed(doc);
            return;
        }
        apply(doc, c, ctx);
        for (Chunk next = nextWaiting(doc); next != null; next = nextWaiting(doc)) {
            apply(doc, next, ctx);
        }
        sequencer.settled(doc.sequence, ctx.timers());
        changed(doc);
    }

    private Chunk nextWaiting(DocumentRecord doc) throws Exception {
        return doc.lifetime.status == LifetimeState.ACTIVE ? sequencer.takeNext(doc.sequence) : null;
    }

    private void apply(DocumentRecord doc, Chunk c, DocumentContext ctx) throws Exception {
        long stateBytes;
        try {
            stateBytes = scorer.apply(doc.progress, c, ctx);
        } catch (StateFormatException e) {
            reject(c, unrestorable(e), ctx);
            rejectDocument(doc, "its state cannot be restored: " + e.getMessage(), ctx);
            return;
        } catch (DocumentTooLongException e) {
            reject(c, e.getMessage(), ctx);
            rejectDocument(doc, e.getMessage(), ctx);
            return;
        }
        sequencer.applied(doc.sequence, c);
        if (c.last()) {
            scorer.closeIncident(doc.progress, ctx);
            ctx.emit(outputs.end(ctx.docId(), c.seq(), doc.progress, stateBytes, ctx.now()));
            metrics.ended.inc();
            doc.lifetime.status = LifetimeState.ENDED;
            for (Chunk late : sequencer.dropWaiting(doc.sequence, ctx.timers())) {
                reject(late, "chunk seq " + late.seq() + " came after the document's last chunk (seq " + c.seq() + ")", ctx);
            }
            if (lifetime.end(doc.lifetime, ctx.timers())) {
                states.clear(ctx.docId());
            }
        }
    }

    // ---------------------------------------------------------------- records

    /**
     * Records of the current document in arrival order: each is checked (a rejected document, a replayed offset,
     * an oversized text) in turn, and those that pass go through the engine together.
     */
    public void records(DocumentRecord doc, List<Record> rs, DocumentContext ctx) throws Exception {
        if (rs.isEmpty()) {
            return;
        }
        List<Record> accepted = new ArrayList<>(rs.size());
        boolean touched = false;
        for (Record r : rs) {
            if (doc.lifetime.status == LifetimeState.REJECTED) {
                reject(r, "document " + ctx.docId() + " was rejected earlier: " + doc.lifetime.reason, ctx);
                continue;
            }
            touched = true;
            lifetime.touch(doc.lifetime, ctx.timers());
            if (!RecordOrder.accept(doc.offsets, r.source())) {
                metrics.duplicates.inc();
            } else if (r.text().length() > maxChunkChars) {
                reject(r, "oversized record: " + r.text().length() + " chars, the limit is " + maxChunkChars, ctx);
            } else {
                accepted.add(r);
            }
        }
        if (!accepted.isEmpty()) {
            try {
                scorer.apply(doc.progress, accepted, ctx);
            } catch (StateFormatException e) {
                reject(accepted.get(0), unrestorable(e), ctx);
                rejectDocument(doc, "its state cannot be restored: " + e.getMessage(), ctx);
                for (Record later : accepted.subList(1, accepted.size())) {
                    reject(later, "document " + ctx.docId() + " was rejected earlier: " + doc.lifetime.reason, ctx);
                }
                return;
            } catch (DocumentTooLongException e) {
                reject(accepted.get(e.applied()), e.getMessage(), ctx);
                rejectDocument(doc, e.getMessage(), ctx);
                for (Record later : accepted.subList(e.applied() + 1, accepted.size())) {
                    reject(later, "document " + ctx.docId() + " was rejected earlier: " + doc.lifetime.reason, ctx);
                }
                changed(doc);
                return;
            }
        }
        if (touched) {
            changed(doc);
        }
    }

    private static String unrestorable(StateFormatException e) {
        return "the document's state cannot be restored: " + e.getMessage();
    }

    /** An element the stream's functions could not read. */
    public void unreadable(DocumentContext ctx, String reason) {
        metrics.rejected.inc();
        ctx.reject(outputs.unreadable(ctx.docId(), reason, ctx.now()));
    }

    // ---------------------------------------------------------------- queries

    public void query(DocumentQuery q, DocumentContext ctx) throws Exception {
        DocumentRecord doc = records.get();
        metrics.queries.inc();
        String refused = answerer.unanswerable(doc, ctx.docId());
        if (refused != null) {
            ctx.emit(answerer.refusal(q, ctx.docId(), refused, ctx.now()));
            return;
        }
        lifetime.touch(doc.lifetime, ctx.timers());
        changed(doc);
        commit();
        ctx.emit(answerer.answer(q, doc, ctx.docId(), ctx.now()));
    }

    // ---------------------------------------------------------------- timers and the document's end

    public void timer(long timestamp, DocumentContext ctx) throws Exception {
        DocumentRecord doc = records.get();
        if (doc == null) {
            return;
        }
        scorer.onTimer(doc.progress, timestamp, ctx);
        if (sequencer.gapExpired(doc.sequence, timestamp) && doc.lifetime.status == LifetimeState.ACTIVE) {
            rejectDocument(doc, "seq " + doc.sequence.nextSeq + " did not arrive within " + sequencer.gapTimeout(), ctx);
        }
        switch (lifetime.onTimer(doc.lifetime, timestamp, ctx.timers())) {
            case GRACE_OVER -> states.clear(ctx.docId());
            case EXPIRED -> {
                scorer.closeOpenText(doc.progress, "expired after " + lifetime.stateTtl() + " without activity", ctx);
                scorer.closeIncident(doc.progress, ctx);
                metrics.expired.inc();
                for (Chunk c : sequencer.dropWaiting(doc.sequence, ctx.timers())) {
                    reject(c, "document " + ctx.docId() + " expired after " + lifetime.stateTtl() + " without activity", ctx);
                }
                lifetime.clear(doc.lifetime, ctx.timers());
                states.clear(ctx.docId());
                records.clear(doc);
                changed = null;
                return;
            }
            default -> {
            }
        }
        changed(doc);
        commit();
    }

    /** The input ended (a bounded job): the current document's open paragraph and incident are emitted, no timer will. */
    public void endOfInput(DocumentContext ctx) throws Exception {
        DocumentRecord doc = records.get();
        if (doc != null && doc.endsOpen()) {
            scorer.closeOpenText(doc.progress, "the input ended before the document's last chunk", ctx);
            scorer.closeIncident(doc.progress, ctx);
            changed(doc);
            commit();
        }
    }

    /** Rejects the whole document: waiting chunks go to the rejected output, later input is rejected too. */
    private void rejectDocument(DocumentRecord doc, String reason, DocumentContext ctx) throws Exception {
        scorer.finishChunks(doc.progress, ctx); // the chunks applied before it are read first, as they came
        scorer.closeOpenText(doc.progress, "rejected: " + reason, ctx);
        scorer.closeIncident(doc.progress, ctx);
        LOG.warn("rejecting document {}: {}", ctx.docId(), reason);
        for (Chunk c : sequencer.dropWaiting(doc.sequence, ctx.timers())) {
            reject(c, "document " + ctx.docId() + " rejected: " + reason, ctx);
        }
        states.clear(ctx.docId());
        lifetime.reject(doc.lifetime, reason, ctx.timers());
        metrics.documentsRejected.inc();
        changed(doc);
    }

    private void duplicate(DocumentRecord doc) {
        doc.sequence.duplicates++;
        metrics.duplicates.inc();
        changed(doc);
    }

    private void reject(Chunk c, String reason, DocumentContext ctx) {
        metrics.rejected.inc();
        ctx.reject(outputs.rejected(c, reason, ctx.now()));
    }

    private void reject(Record r, String reason, DocumentContext ctx) {
        metrics.rejected.inc();
        ctx.reject(outputs.rejected(r, reason, ctx.now()));
    }
}
