package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

import java.util.List;

/**
 * All weights of a model. {@code lmHead} is the embedding matrix when embeddings are tied; {@code sinks} holds
 * spikingbrain_moe's learned sink rows [S, H] (null for gla_swa).
 */
public record Weights(Matrix embeddings, List<LayerWeights> layers, float[] norm, Matrix lmHead, Matrix sinks) {
    public Weights {
        layers = List.copyOf(layers);
    }

    /** A gla_swa model's weights. */
    public Weights(Matrix embeddings, List<LayerWeights> layers, float[] norm, Matrix lmHead) {
        this(embeddings, layers, norm, lmHead, null);
    }

    /** Whether the projections are W8ASpike spiking linears (the checkpoint is a W8ASpike one). */
    public boolean spiking() {
        return !layers.isEmpty() && layers.get(0).attention().q() instanceof SpikingLinear;
    }

    /** Bytes the weights occupy in their stored format (memory-mapped or heap). */
    public long storedBytes() {
        return embeddings.storedBytes() + (lmHead == embeddings ? 0 : lmHead.storedBytes()) + 4L * norm.length + layerBytes()
                + (sinks == null ? 0 : sinks.storedBytes());
    }

    /** Bytes of the decoder layers' projections (what W8ASpike changes; embeddings and lm_head stay float). */
    public long layerBytes() {
        long total = 0;
        for (LayerWeights l : layers) {
            AttentionWeights a = l.attention();
            total += a.q().storedBytes() + a.k().storedBytes() + a.v().storedBytes() + a.o().storedBytes();
            if (a.hasGate()) {
                total += a.gate().storedBytes();
            }
            if (a.softmax() != null) {
                total += a.softmax().storedBytes();
            }
            total += l.ffn().storedBytes();
        }
        return total;
    }
}
