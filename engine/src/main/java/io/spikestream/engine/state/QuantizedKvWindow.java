package io.spikestream.engine.state;

import io.spikestream.engine.spiking.KvQuantizer;

/**
 * The window of a W8ASpike sliding-window layer: int8 key and value codes with one scale per position and
 * key/value head. The codes and scales are the state (what is saved: about a quarter of float keys and
 * values); the float arrays of {@link KvWindow} hold x̂ = code · scale, derived from them, for the attention
 * kernels.
 */
public final class QuantizedKvWindow extends KvWindow {
    private final int headDim;
    private final int heads;
    final byte[] keyCodes;
    final byte[] valueCodes;
    final float[] keyScales;
    final float[] valueScales;

    public QuantizedKvWindow(int window, int kvDim, int headDim) {
        super(window, kvDim);
        if (window == UNBOUNDED) {
            throw new IllegalArgumentException("an int8 key/value window must be bounded");
        }
        if (kvDim % headDim != 0) {
            throw new IllegalArgumentException("head dimension " + headDim + " does not divide " + kvDim);
        }
        this.headDim = headDim;
        this.heads = kvDim / headDim;
        this.keyCodes = new byte[keys.length];
        this.valueCodes = new byte[keys.length];
        this.keyScales = new float[window * heads];
        this.valueScales = new float[window * heads];
    }

    private QuantizedKvWindow(QuantizedKvWindow o) {
        super(o);
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

    /** Offset of position p's scales in {@link #keyScales()} / {@link #valueScales()}. */
    public int scaleOffset(long position) {
        return (int) (position % capacity()) * heads;
    }

    /**
     * Stores the codes of chunk token {@code src} (its scales at {@code src · heads}) as position p.
     */
    public void put(long position, byte[] kCodes, float[] kScales, byte[] vCodes, float[] vScales, int src) {
        int slot = offset(position);
        int so = scaleOffset(position);
        System.arraycopy(kCodes, src * kvDim(), keyCodes, slot, kvDim());
        System.arraycopy(vCodes, src * kvDim(), valueCodes, slot, kvDim());
        System.arraycopy(kScales, src * heads, keyScales, so, heads);
        System.arraycopy(vScales, src * heads, valueScales, so, heads);
        derive(slot / kvDim());
    }

    /** Recomputes the float keys and values of ring slot {@code slot} from its codes and scales. */
    void derive(int slot) {
        for (int j = 0; j < heads; j++) {
            float ks = keyScales[slot * heads + j];
            float vs = valueScales[slot * heads + j];
            int off = slot * kvDim() + j * headDim;
            for (int i = off; i < off + headDim; i++) {
                keys[i] = KvQuantizer.dequantize(keyCodes[i], ks);
                values[i] = KvQuantizer.dequantize(valueCodes[i], vs);
            }
        }
    }

    @Override
    public long liveBytes(long position) {
        return held(position) * (2L * kvDim() + 8L * heads);
    }
}
