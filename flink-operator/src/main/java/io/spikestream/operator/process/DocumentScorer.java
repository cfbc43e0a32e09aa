package io.spikestream.operator.process;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.SpikeStatistics;
import io.spikestream.engine.Engine;
import io.spikestream.engine.TextChunkResult;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.LineTracker;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.operator.RecordSource;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.state.EngineStates;
import io.spikestream.operator.state.ProgressState;

import java.util.List;

/**
 * Advances a document's engine state by a chunk or a record and says what it read: one CHUNK or RECORD
 * enrichment with the surprisal of its tokens, its most surprising spans and the lines it completed, and an
 * alert for every line above the threshold. Owns {@link ProgressState} (tokens, totals, the open line).
 * A state that cannot be restored throws {@link io.spikestream.engine.state.StateFormatException}.
 */
final class DocumentScorer {
    private final Engine engine;
    private final EngineStates states;
    private final OutputRecords records;
    private final AlertThreshold threshold;
    private final OperatorMetrics metrics;
    private final int topSpans;
    private final boolean embed;

    DocumentScorer(Engine engine, EngineStates states, OutputRecords records, AlertThreshold threshold, OperatorMetrics metrics,
                   int topSpans, boolean embed) {
        this.engine = engine;
        this.states = states;
        this.records = records;
        this.threshold = threshold;
        this.metrics = metrics;
        this.topSpans = topSpans;
        this.embed = embed;
    }

    /** Applies chunk {@code c}; returns the document's state size after it (for its END record when it is the last). */
    long apply(ProgressState p, Chunk c, DocumentContext ctx) throws Exception {
        DocumentState doc = states.load(ctx.docId(), p.tokens);
        long start = doc.position();
        String tail = doc.tokenizerTail();
        TextChunkResult r = engine.advanceText(doc, c.text(), c.last());
        int n = r.result().size();
        LineTracker.Lines lines = LineTracker.track(p.currentLine(), tail, c.text(), r, c.last());
        p.keepLine(lines.open());
        long written = states.save(ctx.docId(), doc, start, n);
        p.applied++;
        Enrichment.Builder e = advanced(p, doc, start, r, c.text(), written, ctx)
                .setSeq(c.seq())
                .setKind(EnrichmentKind.CHUNK)
                .setEmbedding(embed ? OutputRecords.floats(r.result().lastHidden()) : null)
                .setLines(OutputRecords.lineRecords(lines.closed()));
        long stateBytes = e.getStateBytes();
        ctx.emit(e.build());
        alerts(lines.closed(), null, c.seq(), ctx);
        return stateBytes;
    }

    /** Applies record {@code r}, scoring each of its lines on its own. */
    void apply(ProgressState p, Record r, DocumentContext ctx) throws Exception {
        DocumentState doc = states.load(ctx.docId(), p.tokens);
        long start = doc.position();
        LineScorer.Scored scored = LineScorer.advance(engine, doc, r.text(), p.openLine);
        int n = scored.tokens().result().size();
        long written = 0;
        if (n == 0) {
            states.keep(ctx.docId(), doc);
        } else {
            written = states.save(ctx.docId(), doc, start, n);
        }
        p.openLine += scored.lines().size();
        p.applied++;
        metrics.records.inc();
        RecordSource s = r.source();
        ctx.emit(advanced(p, doc, start, scored.tokens(), scored.text(), written, ctx)
                .setSeq(null)
                .setKind(EnrichmentKind.RECORD)
                .setEmbedding(embed && doc.position() > 0 ? OutputRecords.floats(doc.lastHidden()) : null)
                .setSourceTopic(s == null ? null : s.source())
                .setPartition(s == null ? null : s.partition())
                .setOffset(s == null ? null : s.offset())
                .setRecordKey(s == null ? null : s.key())
                .setLines(OutputRecords.lineRecords(scored.lines()))
                .build());
        alerts(scored.lines(), s, null, ctx);
    }

    /** The totals after {@code doc} advanced by the tokens of {@code r}, the metrics, and the fields every CHUNK and RECORD has. */
    private Enrichment.Builder advanced(ProgressState p, DocumentState doc, long start, TextChunkResult r, String text, long written,
                                        DocumentContext ctx) {
        int n = r.result().size();
        SurprisalSummary s = SurprisalSummary.of(r, text, topSpans, id -> engine.decode(new int[] {id}));
        p.tokens = doc.position();
        p.scoredTokens += s.scored();
        p.surprisalSum += s.sum();
        if (s.scored() > 0) {
            p.maxSurprisal = p.scoredTokens == s.scored() ? s.max() : Math.max(p.maxSurprisal, s.max());
        }
        p.stateBytesWritten = written;
        long stateBytes = StateCodec.encodedSize(doc);
        metrics.advanced(n, written, stateBytes, s);
        SpikeStatistics spikes = r.result().spikes() == null ? null : OutputRecords.spikeRecord(r.result().spikes().summary());
        if (spikes != null) {
            metrics.spikes(spikes);
        }
        return records.scored(ctx.docId(), start, n, s, stateBytes, written, spikes, ctx.now());
    }

    /** Every line above the threshold, as an alert. */
    private void alerts(List<LineScore> lines, RecordSource source, Long seq, DocumentContext ctx) {
        if (threshold == null) {
            return;
        }
        for (LineScore l : lines) {
            if (threshold.exceeded(l)) {
                metrics.alerts.inc();
                ctx.alert(records.alert(ctx.docId(), l, threshold, source, seq, ctx.now()));
            }
        }
    }
}
