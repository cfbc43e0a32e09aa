package io.spikestream.operator.state;

/**
 * Everything kept per document besides its engine state and early chunks, one part per concern, in one keyed
 * value ({@code document}) so that an element costs one read and one write. A Flink POJO: each part's class can
 * gain fields across releases.
 */
public class DocumentRecord {
    public LifetimeState lifetime = new LifetimeState();
    public SequenceState sequence = new SequenceState();
    public OffsetState offsets = new OffsetState();
    public ProgressState progress = new ProgressState();
    /** Whether {@link OpenDocuments} counts this document (not stored: it follows from the status once stored). */
    transient boolean counted;

    public DocumentRecord() {
    }

    /**
     * Whether an end without the last chunk (expiry, rejection, the end of a bounded input) has something to emit:
     * an open incident or paragraph, or — in an active document that has read text — text its chunks left unread.
     */
    public boolean endsOpen() {
        return progress.hasOpenParts() || lifetime.status == LifetimeState.ACTIVE && progress.applied > 0;
    }

    /** The parts of a document kept by the 0.1 release as one flat {@link DocumentMeta}. */
    static DocumentRecord migrate(DocumentMeta m) {
        DocumentRecord r = new DocumentRecord();
        r.lifetime.status = m.status;
        r.lifetime.reason = m.reason;
        r.lifetime.lastActivityMs = m.lastActivityMs;
        r.lifetime.ttlTimerMs = m.ttlTimerMs;
        r.lifetime.graceTimerMs = m.graceTimerMs;
        r.sequence.nextSeq = m.nextSeq;
        r.sequence.bufferedChunks = m.bufferedChunks;
        r.sequence.bufferedChars = m.bufferedChars;
        r.sequence.gapTimerMs = m.gapTimerMs;
        r.sequence.duplicates = m.duplicates;
        r.offsets.partitions = m.offsetPartitions == null ? new int[0] : m.offsetPartitions;
        r.offsets.offsets = m.offsetsApplied == null ? new long[0] : m.offsetsApplied;
        r.progress.tokens = m.tokens;
        r.progress.scoredTokens = m.scoredTokens;
        r.progress.surprisalSum = m.surprisalSum;
        r.progress.maxSurprisal = m.maxSurprisal;
        r.progress.stateBytesWritten = m.stateBytesWritten;
        r.progress.applied = m.chunksApplied;
        r.progress.openLine = m.openLine;
        r.progress.openLineTokens = m.openLineTokens;
        r.progress.openLineTokenStart = m.openLineTokenStart;
        r.progress.openLineScored = m.openLineScored;
        r.progress.openLineSum = m.openLineSum;
        r.progress.openLineMax = m.openLineMax;
        r.progress.openLineText = m.openLineText == null ? "" : m.openLineText;
        return r;
    }
}
