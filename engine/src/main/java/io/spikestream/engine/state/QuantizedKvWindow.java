package io.spikestream.engine.state;

/**
 * The window of a W8ASpike sliding-window layer: int8 key and value codes with one scale per position and
 * key/value head (REFERENCE.md: the model attends to x̂ = code · scale, so the codes and scales are exactly
 * what attention needs). A quarter of the bytes of float keys and values, in memory and when saved.
 */
public final class QuantizedKvWindow implements KeyValueWindow {
    private final int window;
    private final int kvDim;
    private final int headDim;
    private final int heads;
    final byte[] keyCodes;
    final byte[] valueCodes;
    final float[] keyScales;
    final float[] valueScales;

    public QuantizedKvWindow(int window, int kvDim, int headDim) {
        if (window == UNBOUNDED || window <= 0) {
            throw new IllegalArgumentException("an int8 key/value window must be bounded, got " + window);
        }
        if (kvDim % headDim != 0) {
            throw new IllegalArgumentException("head dimension " + headDim + " does not divide " + kvDim);
        }
        this.window = window;
        this.kvDim = kvDim;
        this.headDim = headDim;
        this.heads = kvDim / headDim;
        this.keyCodes = new byte[Math.multiplyExact(window, kvDim)];
        this.valueCodes = new byte[keyCodes.length];
        this.keyScales = new float[window * heads];
        this.valueScales = new float[window * heads];
    }

    private QuantizedKvWindow(QuantizedKvWindow o) {
        this.window = o.window;
        this.kvDim = o.kvDim;
        this.headDim = o.headDim;
        this.heads = o.heads;
        this.keyCodes = o.keyCodes.clone();
        this.valueCodes = o.valueCodes.clone();
        this.keyScales = o.keyScales.clone();
        this.valueScales = o.valueScales.clone();
    }

    @Override
    public QuantizedKvWindow copy() {
        return new QuantizedKvWindow(this);
    }

    @Override
    public int window() {
        return window;
    }

    @Override
    public boolean unbounded() {
        return false;
    }

    @Override
    public int kvDim() {
        return kvDim;
    }

    @Override
    public int capacity() {
        return window;
    }

    public int headDim() {
        return headDim;
    }

    public int heads() {
        return heads;
    }

    /** Key codes, [capacity][kvDim] (ring slots). */
    public byte[] keyCodes() {
        return keyCodes;
    }

    public byte[] valueCodes() {
        return valueCodes;
    }

    /** Key scales, [capacity][heads]. */
    public float[] keyScales() {
        return keyScales;
    }

    public float[] valueScales() {
        return valueScales;
    }

    @Override
    public int offset(long position) {
        return (int) (position % window) * kvDim;
    }

    /** Offset of position p's scales in {@link #keyScales()} / {@link #valueScales()}. */
    public int scaleOffset(long position) {
        return (int) (position % window) * heads;
    }

    @Override
    public long held(long position) {
        return Math.min(position, (long) window);
    }

    @Override
    public void ensureCapacity(long positions) {
        // bounded: the ring never grows
    }

    /** Stores the codes of chunk token {@code src} (its scales at {@code src · heads}) as position p. */
    public void put(long position, byte[] kCodes, float[] kScales, byte[] vCodes, float[] vScales, int src) {
        int slot = offset(position);
        int so = scaleOffset(position);
        System.arraycopy(kCodes, src * kvDim, keyCodes, slot, kvDim);
        System.arraycopy(vCodes, src * kvDim, valueCodes, slot, kvDim);
        System.arraycopy(kScales, src * heads, keyScales, so, heads);
        System.arraycopy(vScales, src * heads, valueScales, so, heads);
    }

    @Override
    public long liveBytes(long position) {
        return held(position) * (2L * kvDim + 8L * heads);
    }
}
