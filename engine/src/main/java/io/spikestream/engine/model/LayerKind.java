package io.spikestream.engine.model;

/** How a layer mixes tokens. */
public enum LayerKind {
    /** Gated linear attention: a fixed-size recurrent state per key/value head. */
    GLA,
    /** Sliding-window softmax attention over itself and the previous W tokens, with RoPE. */
    SWA,
    /** Full causal softmax attention: the Transformer baseline the benchmark compares against. */
    FULL_ATTENTION
}
