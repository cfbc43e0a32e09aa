package io.spikestream.engine.state;

/**
 * The recurrent state of one GLA layer: one D×D matrix S per key/value head (key-major: {@code S[dk][dv]}),
 * as of the start of the current block of {@link #BLOCK} positions, plus the keys, values and cumulative log
 * decays of the open block's tokens (position mod BLOCK of them).
 *
 * <p>Blocks are aligned to absolute document positions, so S is folded at the same positions however a
 * document is split into chunks: that is what makes any chunking give the same bits.
 */
public final class GlaState {
    /** Positions per block (fla's sub-chunk size): S is updated once per block. */
    public static final int BLOCK = 16;

    private final int kvHeads;
    private final int headDim;
    final float[] s;
    final float[] keys;
    final float[] values;
    final float[] decays;

    public GlaState(int kvHeads, int headDim) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.s = new float[kvHeads * headDim * headDim];
        int kvDim = kvHeads * headDim;
        this.keys = new float[BLOCK * kvDim];
        this.values = new float[BLOCK * kvDim];
        this.decays = new float[BLOCK * kvDim];
    }

    private GlaState(GlaState o) {
        this.kvHeads = o.kvHeads;
        this.headDim = o.headDim;
        this.s = o.s.clone();
        this.keys = o.keys.clone();
        this.values = o.values.clone();
        this.decays = o.decays.clone();
    }

    public GlaState copy() {
        return new GlaState(this);
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int headDim() {
        return headDim;
    }

    /** S of all heads, [kv][D][D]. */
    public float[] matrix() {
        return s;
    }

    /** Pending keys of the open block, [BLOCK][kv·D]. */
    public float[] pendingKeys() {
        return keys;
    }

    /** Pending values of the open block, [BLOCK][kv·D]. */
    public float[] pendingValues() {
        return values;
    }

    /** Cumulative log decays since the block start (inclusive), [BLOCK][kv·D]. */
    public float[] pendingDecays() {
        return decays;
    }

    /** Bytes of live state at a given document position (S plus the open block). */
    public long liveBytes(long position) {
        return 4L * (s.length + 3L * (position % BLOCK) * kvHeads * headDim);
    }
}
