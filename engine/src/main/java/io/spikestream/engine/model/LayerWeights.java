package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

/**
 * One decoder layer: pre-norm token mixing and a pre-norm feed-forward part. In a dense SwiGLU the
 * {@code down} matrix is always float: in W8ASpike its input is the float silu(gate) ⊙ up and its weight is
 * used as stored.
 */
public record LayerWeights(float[] attnNorm, AttentionWeights attention, float[] mlpNorm, FeedForward ffn) {
    /** A layer with a dense SwiGLU. */
    public LayerWeights(float[] attnNorm, AttentionWeights attention, float[] mlpNorm, Linear gateProj, Linear upProj, Matrix downProj) {
        this(attnNorm, attention, mlpNorm, new FeedForward.SwiGlu(gateProj, upProj, downProj));
    }

    /** The dense SwiGLU of this layer (gla_swa layers, and the dense layers of spikingbrain_moe). */
    public FeedForward.SwiGlu swiGlu() {
        if (ffn instanceof FeedForward.SwiGlu s) {
            return s;
        }
        throw new IllegalStateException("this layer's feed-forward part is a mixture of experts, not one SwiGLU");
    }

    public Linear gateProj() {
        return swiGlu().gate();
    }

    public Linear upProj() {
        return swiGlu().up();
    }

    public Matrix downProj() {
        return swiGlu().down();
    }
}
