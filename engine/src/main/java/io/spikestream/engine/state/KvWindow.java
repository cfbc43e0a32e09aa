package io.spikestream.engine.state;

/**
 * Float keys (after RoPE) and values of the most recent positions of one attention layer of a float model
 * (see {@link KeyValueWindow}); the full-attention baseline's capacity grows with the document.
 */
public final class KvWindow implements KeyValueWindow {
    private final int window;
    private final int kvDim;
    private int capacity;
    float[] keys;
    float[] values;

    public KvWindow(int window, int kvDim) {
        this.window = window;
        this.kvDim = kvDim;
        this.capacity = window == UNBOUNDED ? 0 : window;
        this.keys = new float[Math.multiplyExact(capacity, kvDim)];
        this.values = new float[keys.length];
    }

    private KvWindow(KvWindow o) {
        this.window = o.window;
        this.kvDim = o.kvDim;
        this.capacity = o.capacity;
        this.keys = o.keys.clone();
        this.values = o.values.clone();
    }

    @Override
    public KvWindow copy() {
        return new KvWindow(this);
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public boolean unbounded() {
        return window == UNBOUNDED;
    }

    @Override
    public int kvDim() {
        return kvDim;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    /** Offset of position p's key/value vector in {@link #keys()} / {@link #values()}. */
    @Override
    public int offset(long position) {
        return (int) (position % capacity) * kvDim;
    }

    /** Positions held at a document position: the last min(position, W). */
    @Override
    public long held(long position) {
        return Math.min(position, (long) window);
    }

    /** Full attention only: make room for {@code positions} positions (slot = position). */
    @Override
    public void ensureCapacity(long positions) {
        if (!unbounded() || positions <= capacity) {
            return;
        }
        long target = Math.max(positions, Math.min((long) capacity * 2, Integer.MAX_VALUE / kvDim));
        if (target * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("full-attention cache of " + positions + " positions exceeds a Java array");
        }
        int newCapacity = (int) target;
        keys = java.util.Arrays.copyOf(keys, newCapacity * kvDim);
        values = java.util.Arrays.copyOf(values, newCapacity * kvDim);
        capacity = newCapacity;
    }

    /** Bytes of live keys and values at a document position. */
    @Override
    public long liveBytes(long position) {
        return 8L * held(position) * kvDim;
    }
}
