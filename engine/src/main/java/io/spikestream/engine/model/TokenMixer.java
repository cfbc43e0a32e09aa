package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.Rope;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;

/**
 * How a layer mixes tokens, one type per kind: gla_swa composes {@link GlaMixer}s and sliding {@link WindowMixer}s,
 * spikingbrain_moe {@link HybridMixer}s (the full-attention baseline, full {@link WindowMixer}s). A mixer owns the
 * step from the layer's q/k/v projections to what its mixing reads (feature maps, gates, RoPE), the mixing over a
 * pass — which reads and advances its part of the document's state — and the empty form of that part.
 */
sealed interface TokenMixer permits GlaMixer, WindowMixer, HybridMixer {
    LayerKind kind();

    /**
     * Tokens [t0, t1): {@code b.q}, {@code b.k}, {@code b.v} hold the layer's projections of its normalized input
     * {@code in}; whatever else the mixing needs is computed here.
     */
    void prepare(AttentionWeights aw, LinearInput in, PassBuffers b, Rope rope, int t0, int t1, Parallel parallel);

    /** The pass's n tokens from position p0 into {@code b.mixed}, advancing {@code state}'s part of layer {@code layer}. */
    void mix(AttentionWeights aw, DocumentState state, int layer, long p0, int n, PassBuffers b, SpikeStatistics spikes, Parallel parallel);

    /** The layer's recurrent state of an empty document, or null. */
    GlaState newLinearState();

    /** The layer's key/value window of an empty document, or null. */
    KeyValueWindow newWindow();

    /** Bytes the layer's state grows by per token (0 when it has a constant size). */
    long growingBytesPerToken();
}
