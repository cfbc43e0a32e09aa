package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

/**
 * One decoder layer: pre-norm token mixing and a pre-norm SwiGLU MLP. {@code downProj} is always float: in
 * W8ASpike its input is the float silu(gate) ⊙ up and its weight is used as stored.
 */
public record LayerWeights(float[] attnNorm, AttentionWeights attention, float[] mlpNorm, Linear gateProj, Linear upProj,
                           Matrix downProj) {
}
