package io.spikestream.operator.state;

/** Where a chunked document's sequence stands ({@code ChunkSequencer} owns it; early chunks wait in their own map). A Flink POJO. */
public class SequenceState {
    /** The seq the next chunk to apply must carry. */
    public long nextSeq;
    /** Chunks waiting for an earlier seq, and their text size in chars. */
    public int bufferedChunks;
    public long bufferedChars;
    /** The registered timer for a gap that has not filled, or 0. */
    public long gapTimerMs;
    public long duplicates;

    public SequenceState() {
    }
}
