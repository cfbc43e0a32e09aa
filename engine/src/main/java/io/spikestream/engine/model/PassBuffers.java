package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Rope;

/**
 * The activations of passes of up to {@code tokens} tokens, reused by the passes of one call; token t's rows
 * start at t × their width. Every step writes its outputs before they are read, so nothing depends on what an
 * earlier pass left in them.
 */
final class PassBuffers {
    final float[] x;
    /** Normalized activations; after the last layer, the final normalized hidden vectors. */
    final float[] a;
    final float[] q;
    final float[] k;
    final float[] v;
    /** The linear branch's log decays. */
    final float[] g;
    final float[] mixed;
    final float[] proj;
    /** RoPE angles of the pass's positions. */
    final float[] cos;
    final float[] sin;
    /** spikingbrain_moe's softmax branch: queries, keys, values and normalized head outputs (else empty). */
    final float[] q2;
    final float[] k2;
    final float[] v2;
    final float[] mixed2;
    final FeedForward.Scratch ffn;
    private final int numHeads;
    private final int kvHeads;
    private final int d;

    PassBuffers(Configuration config, int tokens, java.util.List<FeedForward> ffns) {
        int h = config.hiddenSize();
        d = config.headDim();
        numHeads = config.numHeads();
        kvHeads = config.numKvHeads();
        int qDim = numHeads * d;
        int kvDim = kvHeads * d;
        x = new float[tokens * h];
        a = new float[tokens * h];
        q = new float[tokens * qDim];
        k = new float[tokens * kvDim];
        v = new float[tokens * kvDim];
        g = new float[tokens * kvDim];
        mixed = new float[tokens * qDim];
        proj = new float[tokens * h];
        cos = new float[tokens * d / 2];
        sin = new float[tokens * d / 2];
        MoeLayout moe = config.moe();
        q2 = new float[moe != null ? tokens * qDim : 0];
        k2 = new float[moe != null ? tokens * kvDim : 0];
        v2 = new float[moe != null ? tokens * kvDim : 0];
        mixed2 = new float[moe != null ? tokens * qDim : 0];
        ffn = new FeedForward.Scratch(tokens, h, ffns);
    }

    /** RoPE on the queries and keys of tokens [t0, t1) at the pass's angles. */
    void rotate(Rope rope, float[] queries, float[] keys, int t0, int t1) {
        int qDim = numHeads * d;
        int kvDim = kvHeads * d;
        for (int t = t0; t < t1; t++) {
            for (int hh = 0; hh < numHeads; hh++) {
                rope.rotate(queries, t * qDim + hh * d, cos, sin, t * d / 2);
            }
            for (int j = 0; j < kvHeads; j++) {
                rope.rotate(keys, t * kvDim + j * d, cos, sin, t * d / 2);
            }
        }
    }
}
