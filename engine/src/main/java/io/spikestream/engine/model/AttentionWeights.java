package io.spikestream.engine.model;

import io.spikestream.engine.tensor.Matrix;

/**
 * The token-mixing weights of one layer. The gate fields exist only in GLA layers (null otherwise).
 *
 * @param q       [nh·D, H]      @param qBias [nh·D]
 * @param k       [kv·D, H]      @param kBias [kv·D]
 * @param v       [kv·D, H]      @param vBias [kv·D]
 * @param o       [H, nh·D]
 * @param gate0   gk_proj.0 [16, H]
 * @param gate1   gk_proj.1 [kv·D, 16]   @param gate1Bias [kv·D]
 * @param gNorm   g_norm [D], shared by all heads
 */
public record AttentionWeights(Matrix q, float[] qBias, Matrix k, float[] kBias, Matrix v, float[] vBias, Matrix o,
                               Matrix gate0, Matrix gate1, float[] gate1Bias, float[] gNorm) {
    public boolean hasGate() {
        return gate0 != null;
    }
}
