package io.spikestream.operator.process;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.SpikeStatistics;
import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.Engine;
import io.spikestream.engine.TextChunkResult;
import io.spikestream.engine.TextTokens;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.LineTracker;
import io.spikestream.engine.scoring.OpenLine;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.operator.RecordSource;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.state.EngineStates;
import io.spikestream.operator.state.ProgressState;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Advances a document's engine state by a chunk or a record and says what it read: one CHUNK or RECORD
 * enrichment with the surprisal of its tokens, its most surprising spans and the lines it completed; the lines
 * above the threshold go into the document's incidents ({@link IncidentAlerts}), one alert each. Owns
 * {@link ProgressState} (tokens, totals, the open line, the open incident).
 * A state that cannot be restored throws {@link io.spikestream.engine.state.StateFormatException}.
 */
final class DocumentScorer {
    private final Engine engine;
    private final EngineStates states;
    private final OutputRecords records;
    private final AlertThreshold threshold;
    /** Alerting lines into incidents; null when alerts are off. */
    private final IncidentAlerts incidents;
    private final OperatorMetrics metrics;
    private final int topSpans;
    private final boolean embed;
    /** Tokens a document may reach ({@code --max-document-tokens}, resolved for the model). */
    private final long maxTokens;
    /** With --segment paragraph: the document's paragraphs, scored and alerted instead of its lines; else null. */
    private final ParagraphSegments paragraphs;
    /** Chunks of the current document tokenized and waiting for their pass ({@link #finishChunks}). */
    private final List<Staged> staged = new ArrayList<>();
    private DocumentState stagedDoc;
    private long stagedFrom;
    private String stagedFromTail;

    /** A chunk tokenized from the tokenizer tail before it. */
    private record Staged(Chunk chunk, String tail, TextTokens tokens) {
    }

    DocumentScorer(Engine engine, EngineStates states, OutputRecords records, AlertThreshold threshold, IncidentAlerts incidents,
                   OperatorMetrics metrics, int topSpans, boolean embed, ParagraphSegments paragraphs, long maxTokens) {
        this.maxTokens = maxTokens;
        this.paragraphs = paragraphs;
        this.engine = engine;
        this.states = states;
        this.records = records;
        this.threshold = threshold;
        this.incidents = incidents;
        this.metrics = metrics;
        this.topSpans = topSpans;
        this.embed = embed;
    }

    /**
     * Applies chunk {@code c}. Its text is tokenized now; the model runs over it with the document's next chunks in
     * one pass, when {@link #finishChunks} is called (at the end of the document's bundle, or before anything that
     * must see the document after it) or now when it is the last — then the document's state size after it is
     * returned (for its END record), otherwise -1. A spiking model or {@code --embed-chunks} gives each chunk its
     * own pass (its statistics and its embedding are its pass's).
     * The state is written by {@link EngineStates#commit}, once per bundle.
     */
    long apply(ProgressState p, Chunk c, DocumentContext ctx) throws Exception {
        if (embed || engine.model().spiking()) {
            finishChunks(p, ctx);
            return applyAlone(p, c, ctx);
        }
        if (staged.isEmpty()) {
            stagedDoc = states.load(ctx.docId(), p.tokens);
            stagedFrom = stagedDoc.position();
            stagedFromTail = stagedDoc.tokenizerTail();
        }
        String tail = stagedDoc.tokenizerTail();
        TextTokens tokens = engine.tokenizeText(stagedDoc, c.text(), c.last());
        long before = stagedFrom;
        for (Staged s : staged) {
            before += s.tokens().ids().length;
        }
        if (before + tokens.ids().length > maxTokens) {
            stagedDoc.setTokenizerTail(tail); // as if the chunk never came
            throw new DocumentTooLongException(before, tokens.ids().length, maxTokens, 0);
        }
        staged.add(new Staged(c, tail, tokens));
        return c.last() ? finishChunks(p, ctx) : -1;
    }

    /**
     * Runs the model over the chunks applied since the last call, in one pass, and says what each read; returns the
     * document's state size after them (-1 when none waited).
     */
    long finishChunks(ProgressState p, DocumentContext ctx) {
        if (staged.isEmpty()) {
            return -1;
        }
        DocumentState doc = stagedDoc;
        int total = 0;
        for (Staged s : staged) {
            total += s.tokens().ids().length;
        }
        int[] ids = new int[total];
        int at = 0;
        for (Staged s : staged) {
            System.arraycopy(s.tokens().ids(), 0, ids, at, s.tokens().ids().length);
            at += s.tokens().ids().length;
        }
        ChunkResult all = total == 0 ? null : engine.advance(doc, ids);
        states.advanced(ctx.docId(), doc, stagedFrom, stagedFromTail);
        long stateBytes = -1;
        at = 0;
        for (Staged s : staged) {
            int n = s.tokens().ids().length;
            ChunkResult own = n == 0 || all == null
                    ? new ChunkResult(stagedFrom + at, new int[0], new double[0], doc.lastHidden(), null)
                    : new ChunkResult(stagedFrom + at, Arrays.copyOfRange(all.tokens(), at, at + n), Arrays.copyOfRange(all.logProbs(), at, at + n),
                            all.lastHidden(), null);
            at += n;
            stateBytes = emitChunk(p, doc, s.chunk(), s.tail(), new TextChunkResult(own, s.tokens().charStart(), s.tokens().charEnd()),
                    s.tokens().tail(), ctx);
        }
        staged.clear();
        stagedDoc = null;
        return stateBytes;
    }

    /** Applies chunk {@code c} in a pass of its own. */
    private long applyAlone(ProgressState p, Chunk c, DocumentContext ctx) throws Exception {
        DocumentState doc = states.load(ctx.docId(), p.tokens);
        long start = doc.position();
        String tail = doc.tokenizerTail();
        int n = engine.tokenizeText(doc, c.text(), c.last()).ids().length;
        doc.setTokenizerTail(tail);
        if (start + n > maxTokens) {
            throw new DocumentTooLongException(start, n, maxTokens, 0);
        }
        TextChunkResult r = engine.advanceText(doc, c.text(), c.last());
        states.advanced(ctx.docId(), doc, start, tail);
        return emitChunk(p, doc, c, tail, r, doc.tokenizerTail(), ctx);
    }

    /**
     * The CHUNK enrichment of {@code c}, read from tokenizer tail {@code tail} and leaving {@code tailAfter}, and its
     * alerts; returns the state size after it.
     */
    private long emitChunk(ProgressState p, DocumentState doc, Chunk c, String tail, TextChunkResult r, String tailAfter, DocumentContext ctx) {
        LineTracker.Lines lines = LineTracker.track(p.currentLine(), tail, c.text(), r, c.last());
        p.keepLine(lines.open());
        p.applied++;
        metrics.chunks.inc();
        Enrichment.Builder e = advanced(p, doc, r, c.text(), tailAfter, ctx)
                .setSeq(c.seq())
                .setKind(EnrichmentKind.CHUNK)
                .setEmbedding(embed ? OutputRecords.floats(r.result().lastHidden()) : null)
                .setLines(OutputRecords.lineRecords(lines.closed()));
        List<SegmentScore> paras = paragraphs == null ? null : paragraphs.add(p, lines.closed(), r.result(), c.last());
        e.setSegments(paras == null ? null : OutputRecords.segmentRecords(paras, paragraphs::score));
        long stateBytes = e.getStateBytes();
        ctx.emit(e.build());
        if (paras == null) {
            alerts(p, lines.closed(), null, c.seq(), ctx);
        } else {
            alerts(paras, null, c.seq(), ctx);
        }
        return stateBytes;
    }

    /**
     * Applies records {@code rs} in order, each line scored on its own. Their tokens go through the engine in one
     * pass (the same bits as one pass each: a pass's result does not depend on how the tokens are cut). A
     * record's embedding and a spiking model's statistics belong to its own pass: with either, each record keeps
     * its pass. The state is written by {@link EngineStates#commit}, once per bundle.
     */
    void apply(ProgressState p, List<Record> rs, DocumentContext ctx) throws Exception {
        finishChunks(p, ctx);
        boolean onePassEach = rs.size() == 1 || embed || engine.model().spiking();
        if (onePassEach && maxTokens == Long.MAX_VALUE) {
            for (Record r : rs) {
                apply(p, r, ctx);
            }
            return;
        }
        DocumentState doc = states.load(ctx.docId(), p.tokens);
        long start = doc.position();
        List<LineScorer.Lines> texts = new ArrayList<>(rs.size());
        int total = 0;
        for (Record r : rs) {
            LineScorer.Lines l = LineScorer.tokenize(engine, r.text());
            texts.add(l);
            total += l.ids().length;
        }
        if (onePassEach || start + total > maxTokens) {
            // one pass each: the records before one that would pass the limit are read
            for (int i = 0; i < rs.size(); i++) {
                long at = states.load(ctx.docId(), p.tokens).position();
                if (at + texts.get(i).ids().length > maxTokens) {
                    throw new DocumentTooLongException(at, texts.get(i).ids().length, maxTokens, i);
                }
                apply(p, rs.get(i), ctx);
            }
            return;
        }
        String tail = doc.tokenizerTail();
        int[] ids = new int[total];
        int at = 0;
        for (LineScorer.Lines l : texts) {
            System.arraycopy(l.ids(), 0, ids, at, l.ids().length);
            at += l.ids().length;
        }
        ChunkResult all = total == 0 ? null : engine.advance(doc, ids);
        states.advanced(ctx.docId(), doc, start, tail);
        at = 0;
        for (int i = 0; i < rs.size(); i++) {
            LineScorer.Lines l = texts.get(i);
            int n = l.ids().length;
            ChunkResult own = n == 0 || all == null
                    ? new ChunkResult(start + at, new int[0], new double[0], doc.lastHidden(), null)
                    : new ChunkResult(start + at, Arrays.copyOfRange(all.tokens(), at, at + n), Arrays.copyOfRange(all.logProbs(), at, at + n),
                            all.lastHidden(), null);
            at += n;
            emitRecord(p, doc, rs.get(i), LineScorer.score(l, own, p.openLine), ctx);
        }
    }

    /** Applies record {@code r} in a pass of its own. */
    private void apply(ProgressState p, Record r, DocumentContext ctx) throws Exception {
        DocumentState doc = states.load(ctx.docId(), p.tokens);
        long start = doc.position();
        String tail = doc.tokenizerTail();
        LineScorer.Scored scored = LineScorer.advance(engine, doc, r.text(), p.openLine);
        states.advanced(ctx.docId(), doc, start, tail);
        emitRecord(p, doc, r, scored, ctx);
    }

    /** The RECORD enrichment of {@code r} and its alerts. */
    private void emitRecord(ProgressState p, DocumentState doc, Record r, LineScorer.Scored scored, DocumentContext ctx) {
        p.openLine += scored.lines().size();
        p.applied++;
        metrics.records.inc();
        RecordSource s = r.source();
        List<SegmentScore> paras = paragraphs == null ? null : paragraphs.add(p, scored.lines(), scored.tokens().result(), r.text().isEmpty());
        ctx.emit(advanced(p, doc, scored.tokens(), scored.text(), doc.tokenizerTail(), ctx)
                .setSeq(null)
                .setKind(EnrichmentKind.RECORD)
                .setEmbedding(embed && doc.position() > 0 ? OutputRecords.floats(doc.lastHidden()) : null)
                .setSourceTopic(s == null ? null : s.source())
                .setPartition(s == null ? null : s.partition())
                .setOffset(s == null ? null : s.offset())
                .setRecordKey(s == null ? null : s.key())
                .setLines(OutputRecords.lineRecords(scored.lines()))
                .setSegments(paras == null ? null : OutputRecords.segmentRecords(paras, paragraphs::score))
                .build());
        if (paras == null) {
            alerts(p, scored.lines(), s, null, ctx);
        } else {
            alerts(paras, s, null, ctx);
        }
    }

    /**
     * The totals after the tokens of {@code r} (which may end before {@code doc}'s position, in a pass of several
     * records), the metrics, and the fields every CHUNK and RECORD has; the bytes written are set by the commit.
     */
    private Enrichment.Builder advanced(ProgressState p, DocumentState doc, TextChunkResult r, String text, String tailAfter,
                                        DocumentContext ctx) {
        int n = r.result().size();
        long start = r.result().startPosition();
        SurprisalSummary s = SurprisalSummary.of(r, text, topSpans, id -> engine.decode(new int[] {id}));
        p.tokens = start + n;
        p.scoredTokens += s.scored();
        p.surprisalSum += s.sum();
        if (s.scored() > 0) {
            p.maxSurprisal = p.scoredTokens == s.scored() ? s.max() : Math.max(p.maxSurprisal, s.max());
        }
        long stateBytes = StateCodec.encodedSize(doc, start + n, tailAfter);
        metrics.advanced(n, stateBytes, s);
        SpikeStatistics spikes = r.result().spikes() == null ? null : OutputRecords.spikeRecord(r.result().spikes().summary());
        if (spikes != null) {
            metrics.spikes(spikes);
        }
        return records.scored(ctx.docId(), start, n, s, stateBytes, 0, spikes, ctx.now());
    }

    /** The lines, in order, into the document's incidents ({@link IncidentAlerts}). */
    private void alerts(ProgressState p, List<LineScore> lines, RecordSource source, Long seq, DocumentContext ctx) {
        if (incidents == null) {
            return;
        }
        for (LineScore l : lines) {
            incidents.line(p, l, () -> records.alert(ctx.docId(), l, threshold, source, seq, ctx.now()), ctx);
        }
    }

    /** The paragraphs above the threshold, an alert each (paragraphs are not grouped into incidents). */
    private void alerts(List<SegmentScore> paras, RecordSource source, Long seq, DocumentContext ctx) {
        if (threshold == null) {
            return;
        }
        for (SegmentScore g : paras) {
            if (threshold.exceeded(g)) {
                metrics.alerts.inc();
                ctx.alert(records.alert(ctx.docId(), g, threshold, source, seq, ctx.now()));
            }
        }
    }

    /**
     * The document ends without its last chunk ({@code reason}: it expired, was rejected, or the bounded input
     * ended): with --segment paragraph, the text its chunks left unread is read as a last chunk would read it, and
     * the paragraph left open goes out in an END record without a seq, and alerts like any other; a document with
     * nothing open gets no record.
     */
    void closeOpenText(ProgressState p, String reason, DocumentContext ctx) {
        if (paragraphs == null) {
            return; // by line, such an end reports nothing, as release 0.1 did (StateMigrationTest holds its output)
        }
        Finished f = finishText(p, ctx);
        List<SegmentScore> open = new ArrayList<>(f == null ? List.of() : paragraphs.add(p, f.lines(), f.result(), true));
        open.addAll(paragraphs.closeOpen(p));
        if (open.isEmpty()) {
            return;
        }
        ctx.emit(records.endWithout(ctx.docId(), p, reason, OutputRecords.segmentRecords(open, paragraphs::score), ctx.now()));
        alerts(open, null, null, ctx);
    }

    /** The lines the unread text closed, and the pass that read it. */
    private record Finished(List<LineScore> lines, ChunkResult result) {
    }

    /**
     * The text a chunked document left unread when it ends without its last chunk — the tokenizer's held-back tail
     * and the open line — read as if the text ended there (as a last chunk would); null when there is none. A
     * state that cannot be loaded leaves what was open as it is.
     */
    private Finished finishText(ProgressState p, DocumentContext ctx) {
        finishChunks(p, ctx);
        DocumentState doc;
        try {
            doc = states.load(ctx.docId(), p.tokens);
        } catch (Exception e) {
            return null;
        }
        String tail = doc.tokenizerTail();
        OpenLine line = p.currentLine();
        if (tail.isEmpty() && line.tokens() == 0 && line.text().isEmpty()) {
            return null;
        }
        long start = doc.position();
        TextChunkResult r = engine.advanceText(doc, "", true);
        states.advanced(ctx.docId(), doc, start, tail); // state and progress agree, as after a last chunk (a drained job's savepoint)
        ChunkResult c = r.result();
        for (double lp : c.logProbs()) {
            if (!Double.isNaN(lp)) {
                p.maxSurprisal = p.scoredTokens == 0 ? -lp : Math.max(p.maxSurprisal, -lp);
                p.scoredTokens++;
                p.surprisalSum -= lp;
            }
        }
        p.tokens = c.startPosition() + c.size();
        LineTracker.Lines lines = LineTracker.track(line, tail, "", r, true);
        p.keepLine(lines.open());
        return new Finished(lines.closed(), c);
    }

    /** Emits the document's open incident, if any: it ended, expired, was rejected, or the input ended. */
    void closeIncident(ProgressState p, DocumentContext ctx) {
        if (incidents != null) {
            incidents.close(p, ctx);
        }
    }

    /** A timer of the document fired: its incident closes when the document stayed quiet long enough. */
    void onTimer(ProgressState p, long timestamp, DocumentContext ctx) {
        if (incidents != null) {
            incidents.onTimer(p, timestamp, ctx);
        }
    }
}
