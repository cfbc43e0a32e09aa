package io.spikestream.engine.state;

/**
 * The keys and values an attention layer keeps of the most recent positions, in a ring: position p lives in
 * slot {@code p mod capacity}. A sliding-window layer keeps its last W positions (capacity W); the
 * full-attention baseline keeps every position. Float models keep float keys and values ({@link KvWindow});
 * W8ASpike models their int8 codes and scales ({@link QuantizedKvWindow}).
 */
public sealed interface KeyValueWindow permits KvWindow, QuantizedKvWindow {
    /** A full-attention layer's window: unbounded. */
    int UNBOUNDED = Integer.MAX_VALUE;

    int window();

    boolean unbounded();

    int kvDim();

    int capacity();

    /** Offset of position p's key/value vector in the window's arrays. */
    int offset(long position);

    /** Positions held at a document position: the last min(position, W). */
    long held(long position);

    /** Full attention only: make room for {@code positions} positions (slot = position). */
    void ensureCapacity(long positions);

    /** Bytes of live keys and values at a document position. */
    long liveBytes(long position);

    KeyValueWindow copy();
}
