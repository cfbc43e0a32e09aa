package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

/** One decoder layer: pre-norm token mixing and a pre-norm SwiGLU MLP. */
public record LayerWeights(float[] attnNorm, AttentionWeights attention, float[] mlpNorm, Matrix gateProj, Matrix upProj,
                           Matrix downProj) {
}
