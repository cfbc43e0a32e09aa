package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Activations;
import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.Rope;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;
import io.spikestream.engine.state.KvWindow;

/**
 * spikingbrain_moe's layer: the linear branch (σ feature maps, the decay 1 − k tied to the key: the GLA kernel
 * with log decays log σ(−k)) and the softmax branch (RoPE, over the sinks and then a sliding window or, in a
 * full-attention layer, the whole document) side by side, their normalized head outputs summed. The sinks'
 * keys/values and the linear state after them are the model's constants ({@link SinkPrefix}).
 */
final class HybridMixer implements TokenMixer {
    private final boolean full;
    private final int window;
    private final int numHeads;
    private final int kvHeads;
    private final int headDim;
    private final double eps;
    private final SinkPrefix sinks;
    private final int layer;

    HybridMixer(Configuration c, int layer, SinkPrefix sinks) {
        this.full = c.moe().isFullAttentionLayer(layer);
        this.window = full ? KeyValueWindow.UNBOUNDED : c.slidingWindow();
        this.numHeads = c.numHeads();
        this.kvHeads = c.numKvHeads();
        this.headDim = c.headDim();
        this.eps = c.normEps();
        this.sinks = sinks;
        this.layer = layer;
    }

    @Override
    public LayerKind kind() {
        return LayerKind.HYBRID;
    }

    @Override
    public void prepare(AttentionWeights aw, LinearInput in, PassBuffers b, Rope rope, int t0, int t1, Parallel parallel) {
        int qDim = numHeads * headDim;
        int kvDim = kvHeads * headDim;
        Activations.sigmoid(b.q, t0 * qDim, t1 * qDim);
        Activations.sigmoidAndLogComplement(b.k, b.g, t0 * kvDim, t1 * kvDim);
        SoftmaxBranch sa = aw.softmax();
        sa.q().apply(in, sa.qBias(), b.q2, parallel);
        sa.k().apply(in, sa.kBias(), b.k2, parallel);
        sa.v().apply(in, sa.vBias(), b.v2, parallel);
        b.rotate(rope, b.q2, b.k2, t0, t1);
    }

    @Override
    public void mix(AttentionWeights aw, DocumentState state, int i, long p0, int n, PassBuffers b, SpikeStatistics spikes,
                    Parallel parallel) {
        GatedLinearAttention.forward(state.gla(i), p0, n, b.q, b.k, b.v, b.g, aw.gNorm(), eps, numHeads, b.mixed, parallel);
        SinkAttention.forward((KvWindow) state.window(i), sinks.keys(i), sinks.values(i), sinks.sinks(), p0, n, b.q2, b.k2, b.v2,
                numHeads, headDim, aw.softmax().norm(), eps, b.mixed2, parallel);
        Axpy.add(b.mixed2, 0, b.mixed, 0, n * numHeads * headDim);
    }

    @Override
    public GlaState newLinearState() {
        GlaState g = new GlaState(kvHeads, headDim);
        System.arraycopy(sinks.linearState(layer), 0, g.matrix(), 0, g.matrix().length);
        return g;
    }

    @Override
    public KeyValueWindow newWindow() {
        return new KvWindow(window, kvHeads * headDim);
    }

    @Override
    public long growingBytesPerToken() {
        return full ? 8L * kvHeads * headDim : 0;
    }
}
