package io.spikestream.operator.state;

/**
 * Per-document bookkeeping as the 0.1 release kept it in keyed state ({@code meta}). Kept, unchanged, only so
 * that its savepoints restore: {@link DocumentRecords} reads one once and splits it into a {@link DocumentRecord}.
 * Its fields and class name are what the stored POJO serializer expects; do not change them.
 */
public class DocumentMeta {
    /** The document accepts chunks. */
    public static final int ACTIVE = 0;
    /** The last chunk was applied; kept for the grace period so queries can still be answered. */
    public static final int ENDED = 1;
    /** The document was rejected (gap never filled, buffer full, oversized chunk, unreadable state). */
    public static final int REJECTED = 2;

    /** The seq the next chunk to apply must carry. */
    public long nextSeq;
    public int status = ACTIVE;
    /** Why the document was rejected, when it was. */
    public String reason;
    /** Processing time of the last chunk or query for this document. */
    public long lastActivityMs;
    /** The registered inactivity (TTL) timer, or 0. */
    public long ttlTimerMs;
    /** The registered timer for a gap that has not filled, or 0. */
    public long gapTimerMs;
    /** The registered end-of-grace timer after the last chunk, or 0. */
    public long graceTimerMs;
    /** Chunks waiting for an earlier seq, and their text size in chars. */
    public int bufferedChunks;
    public long bufferedChars;
    public long chunksApplied;
    public long duplicates;
    /** Tokens consumed and the surprisal totals over scored tokens (all but the document's first). */
    public long tokens;
    public long scoredTokens;
    public double surprisalSum;
    public double maxSurprisal;
    public long stateBytesWritten;

    /** The line not yet ended by a newline (its number is the next line's for plain-text records). */
    public long openLine;
    public int openLineTokens;
    public long openLineTokenStart;
    public int openLineScored;
    public double openLineSum;
    public double openLineMax;
    public String openLineText = "";

    /** Plain-text and JSON records: per partition read, the last offset applied (a replay of it is a duplicate). */
    public int[] offsetPartitions = new int[0];
    public long[] offsetsApplied = new long[0];

    public DocumentMeta() {
    }
}
