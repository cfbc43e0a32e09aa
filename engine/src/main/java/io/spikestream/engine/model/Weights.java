package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

import java.util.List;

/** All weights of a gla_swa model. {@code lmHead} is the embedding matrix when embeddings are tied. */
public record Weights(Matrix embeddings, List<LayerWeights> layers, float[] norm, Matrix lmHead) {
    public Weights {
        layers = List.copyOf(layers);
    }

    /** Bytes the weights occupy in their stored format (memory-mapped or heap). */
    public long storedBytes() {
        long total = embeddings.storedBytes() + (lmHead == embeddings ? 0 : lmHead.storedBytes()) + 4L * norm.length;
        for (LayerWeights l : layers) {
            AttentionWeights a = l.attention();
            total += a.q().storedBytes() + a.k().storedBytes() + a.v().storedBytes() + a.o().storedBytes();
            if (a.hasGate()) {
                total += a.gate0().storedBytes() + a.gate1().storedBytes();
            }
            total += l.gateProj().storedBytes() + l.upProj().storedBytes() + l.downProj().storedBytes();
        }
        return total;
    }
}
