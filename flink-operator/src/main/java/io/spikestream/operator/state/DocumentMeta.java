package io.spikestream.operator.state;

import io.spikestream.engine.scoring.OpenLine;

/**
 * Per-document bookkeeping kept in Flink keyed state next to the engine state (a Flink POJO: public fields,
 * no-argument constructor, so its serializer can evolve with the class).
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

    public OpenLine currentLine() {
        return new OpenLine(openLine, openLineTokens, openLineTokenStart, openLineScored, openLineSum, openLineMax,
                openLineText == null ? "" : openLineText);
    }

    public void keepLine(OpenLine o) {
        openLine = o.line();
        openLineTokens = o.tokens();
        openLineTokenStart = o.tokenStart();
        openLineScored = o.scored();
        openLineSum = o.sum();
        openLineMax = o.max();
        openLineText = o.text();
    }

    /** The last offset applied from {@code partition}, or -1. */
    public long appliedOffset(int partition) {
        for (int i = 0; i < offsetPartitions.length; i++) {
            if (offsetPartitions[i] == partition) {
                return offsetsApplied[i];
            }
        }
        return -1;
    }

    public void markApplied(int partition, long offset) {
        for (int i = 0; i < offsetPartitions.length; i++) {
            if (offsetPartitions[i] == partition) {
                offsetsApplied[i] = offset;
                return;
            }
        }
        offsetPartitions = java.util.Arrays.copyOf(offsetPartitions, offsetPartitions.length + 1);
        offsetsApplied = java.util.Arrays.copyOf(offsetsApplied, offsetsApplied.length + 1);
        offsetPartitions[offsetPartitions.length - 1] = partition;
        offsetsApplied[offsetsApplied.length - 1] = offset;
    }
}
