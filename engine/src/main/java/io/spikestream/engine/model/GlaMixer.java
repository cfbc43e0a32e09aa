package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Activations;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.Rope;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;

/** gla_swa's GLA layer: relu'd q and k, the gate's log-sigmoid divided by its normalizer, the chunked recurrence. */
record GlaMixer(int numHeads, int kvHeads, int headDim, double eps, float gateNormalizer) implements TokenMixer {
    GlaMixer(Configuration c) {
        this(c.numHeads(), c.numKvHeads(), c.headDim(), c.normEps(), (float) c.gateLogitNormalizer());
    }

    @Override
    public LayerKind kind() {
        return LayerKind.GLA;
    }

    @Override
    public void prepare(AttentionWeights aw, LinearInput in, PassBuffers b, Rope rope, int t0, int t1, Parallel parallel) {
        int qDim = numHeads * headDim;
        int kvDim = kvHeads * headDim;
        Activations.relu(b.q, t0 * qDim, t1 * qDim);
        Activations.relu(b.k, t0 * kvDim, t1 * kvDim);
        aw.gate().logits(in, b.g, parallel);
        Activations.logSigmoidScaled(b.g, t0 * kvDim, t1 * kvDim, gateNormalizer, parallel);
    }

    @Override
    public void mix(AttentionWeights aw, DocumentState state, int layer, long p0, int n, PassBuffers b, SpikeStatistics spikes,
                    Parallel parallel) {
        GatedLinearAttention.forward(state.gla(layer), p0, n, b.q, b.k, b.v, b.g, aw.gNorm(), eps, numHeads, b.mixed, parallel);
    }

    @Override
    public GlaState newLinearState() {
        return new GlaState(kvHeads, headDim);
    }

    @Override
    public KeyValueWindow newWindow() {
        return null;
    }

    @Override
    public long growingBytesPerToken() {
        return 0;
    }
}
