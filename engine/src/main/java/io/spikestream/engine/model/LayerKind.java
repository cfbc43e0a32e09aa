package io.spikestream.engine.model;

/** How a layer mixes tokens. */
public enum LayerKind {
    /** Gated linear attention: a fixed-size recurrent state per key/value head. */
    GLA,
    /** Sliding-window softmax attention over itself and the previous W tokens, with RoPE. */
    SWA,
    /** Full causal softmax attention: the Transformer baseline the benchmark compares against. */
    FULL_ATTENTION,
    /**
     * spikingbrain_moe: a linear branch (decay tied to the key) and a softmax branch over the sinks and a
     * sliding window — or the whole document in the full-attention layers — side by side, summed per head.
     */
    HYBRID
}
