package io.spikestream.operator.process;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.avro.Rejected;
import io.spikestream.avro.SegmentSurprisal;
import io.spikestream.avro.SpikeStatistics;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.spiking.SpikeSummary;
import io.spikestream.operator.RecordSource;
import io.spikestream.operator.input.Chunk;
import io.spikestream.operator.input.Record;
import io.spikestream.operator.state.ProgressState;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's output records, field by field: enrichments (CHUNK, RECORD, END, ANSWER), alerts and
 * rejections. Every field of a record is set here, in one place per kind.
 */
public final class OutputRecords {
    private final String modelFingerprint;
    private final String sourceName;

    /** {@code sourceName} names the input in rejections and alerts of chunks (the documents topic of the Kafka job). */
    OutputRecords(String modelFingerprint, String sourceName) {
        this.modelFingerprint = modelFingerprint;
        this.sourceName = sourceName;
    }

    /** The fields every CHUNK and RECORD enrichment has, for {@code n} tokens from {@code start}. */
    Enrichment.Builder scored(String docId, long start, int n, SurprisalSummary s, long stateBytes, long written, SpikeStatistics spikes,
                              long now) {
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
                .setModelFingerprint(modelFingerprint)
                .setProcessedAtMs(now)
                .setError(null)
                .setSpikes(spikes);
    }

    /** The END record of a document whose last chunk was {@code seq}. */
    Enrichment end(String docId, long seq, ProgressState p, long stateBytes, long now) {
        return endBuilder(docId, seq, p, stateBytes, now).build();
    }

    /**
     * The END record of a document that ended without its last chunk ({@code seq} null): it expired, was rejected,
     * or a bounded input ended; {@code reason} says which, and {@code segments} holds the paragraph it left open.
     */
    Enrichment endWithout(String docId, ProgressState p, String reason, List<SegmentSurprisal> segments, long now) {
        return endBuilder(docId, null, p, 0, now).setError(reason).setSegments(segments).build();
    }

    private Enrichment.Builder endBuilder(String docId, Long seq, ProgressState p, long stateBytes, long now) {
        boolean scored = p.scoredTokens > 0;
        return Enrichment.newBuilder()
                .setDocId(docId)
                .setSeq(seq)
                .setQueryId(null)
                .setKind(EnrichmentKind.END)
                .setTokenStart(0)
                .setTokenEnd(p.tokens)
                .setMeanSurprisal(scored ? p.surprisalSum / p.scoredTokens : null)
                .setMaxSurprisal(scored ? p.maxSurprisal : null)
                .setPerplexity(scored ? Math.exp(p.surprisalSum / p.scoredTokens) : null)
                .setSpans(List.of())
                .setEmbedding(null)
                .setAnswer(null)
                .setLabelScores(null)
                .setStateBytes(stateBytes)
                .setStateBytesWritten(0)
                .setModelFingerprint(modelFingerprint)
                .setProcessedAtMs(now)
                .setError(null);
    }

    /** An ANSWER to query {@code queryId}, before its answer, token end and state size are set. */
    Enrichment.Builder answer(String docId, String queryId) {
        return Enrichment.newBuilder()
                .setDocId(docId)
                .setSeq(null)
                .setQueryId(queryId)
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
                .setModelFingerprint(modelFingerprint)
                .setError(null);
    }

    /** An alert for line {@code l} of a chunk ({@code seq}) or of a record ({@code source}). */
    Alert alert(String docId, LineScore l, AlertThreshold t, RecordSource source, Long seq, long now) {
        return alert(docId, l.line(), l.text(), t.score(l), l.mean(), l.max(), l.tokenStart(), l.tokenEnd(), t, source, seq, now).build();
    }

    /** An alert for paragraph {@code g} (lines {@code line}..{@code lineEnd}) completed by a chunk ({@code seq}) or a record ({@code source}). */
    Alert alert(String docId, SegmentScore g, AlertThreshold t, RecordSource source, Long seq, long now) {
        String text = g.text().length() <= LineScore.MAX_TEXT_CHARS ? g.text() : g.text().substring(0, LineScore.MAX_TEXT_CHARS);
        return alert(docId, g.firstLine(), text, t.score(g), g.mean(), g.max(), g.tokenStart(), g.tokenEnd(), t, source, seq, now)
                .setLineEnd(g.lastLine())
                .setSegment(g.kind().label())
                .build();
    }

    private Alert.Builder alert(String docId, long line, String text, double score, double mean, double max, long tokenStart, long tokenEnd,
                                AlertThreshold t, RecordSource source, Long seq, long now) {
        return Alert.newBuilder()
                .setDocId(docId)
                .setLine(line)
                .setText(text)
                .setScore(score)
                .setMeanSurprisal(mean)
                .setMaxSurprisal(max)
                .setThreshold(t.value())
                .setThresholdName(t.name())
                .setSourceTopic(source == null ? sourceName : source.source())
                .setPartition(source == null ? null : source.partition())
                .setOffset(source == null ? null : source.offset())
                .setSeq(seq)
                .setRecordKey(source == null ? null : source.key())
                .setTokenStart(tokenStart)
                .setTokenEnd(tokenEnd)
                .setModelFingerprint(modelFingerprint)
                .setProcessedAtMs(now);
    }

    /** A chunk that cannot be applied: its bytes are the chunk's single-object Avro encoding. */
    Rejected rejected(Chunk chunk, String reason, long now) {
        return rejection(sourceName, -1, -1, chunk.docId(), reason, chunk.encoded(), now);
    }

    /** A record that cannot be applied: its bytes are its text. */
    Rejected rejected(Record record, String reason, long now) {
        RecordSource s = record.source();
        return rejection(s == null ? sourceName : s.source(), s == null ? -1 : s.partition(), s == null ? -1 : s.offset(), record.docId(),
                reason, ByteBuffer.wrap(record.text().getBytes(StandardCharsets.UTF_8)), now);
    }

    /** An element the stream's functions could not read. */
    Rejected unreadable(String docId, String reason, long now) {
        return rejection(sourceName, -1, -1, docId, reason, ByteBuffer.wrap(new byte[0]), now);
    }

    private static Rejected rejection(String source, int partition, long offset, String docId, String reason, ByteBuffer raw, long now) {
        return Rejected.newBuilder()
                .setSourceTopic(source)
                .setPartition(partition)
                .setOffset(offset)
                .setDocId(docId)
                .setReason(reason)
                .setRaw(raw)
                .setRejectedAtMs(now)
                .build();
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

    /** The Avro form of segments (paragraphs), with their length-aware scores ({@code score}: NaN for none). */
    static List<SegmentSurprisal> segmentRecords(List<SegmentScore> segments, java.util.function.ToDoubleFunction<SegmentScore> score) {
        List<SegmentSurprisal> out = new ArrayList<>(segments.size());
        for (SegmentScore g : segments) {
            boolean scored = g.isScored();
            double contextual = g.contextualMean();
            double z = score.applyAsDouble(g);
            out.add(SegmentSurprisal.newBuilder()
                    .setKind(g.kind().label())
                    .setFirstLine(g.firstLine())
                    .setLastLine(g.lastLine())
                    .setTokenStart(g.tokenStart())
                    .setTokenEnd(g.tokenEnd())
                    .setTokens(g.scored())
                    .setMeanSurprisal(scored ? g.mean() : null)
                    .setContextualSurprisal(scored && Double.isFinite(contextual) ? contextual : null)
                    .setScore(Double.isFinite(z) ? z : null)
                    .setMaxSurprisal(scored ? g.max() : null)
                    .setText(g.text().length() <= LineScore.MAX_TEXT_CHARS ? g.text() : g.text().substring(0, LineScore.MAX_TEXT_CHARS))
                    .build());
        }
        return out;
    }

    /** The Avro form of a chunk's spike statistics (W8ASpike models). */
    public static SpikeStatistics spikeRecord(SpikeSummary s) {
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

    static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    /**
     * Charges a document's state write to the last CHUNK or RECORD among the enrichments of the elements whose
     * passes it stored (the others wrote nothing).
     */
    public static void chargeWrite(List<Enrichment> emitted, long written) {
        for (int i = emitted.size() - 1; i >= 0; i--) {
            Enrichment e = emitted.get(i);
            if (e.getKind() == EnrichmentKind.CHUNK || e.getKind() == EnrichmentKind.RECORD) {
                e.setStateBytesWritten(written);
                return;
            }
        }
    }
}
