package io.spikestream.engine.model;

/**
 * The token-mixing weights of one layer. The gate fields exist only in GLA layers (null otherwise).
 *
 * @param q     [nh·D, H]      @param qBias [nh·D]
 * @param k     [kv·D, H]      @param kBias [kv·D]
 * @param v     [kv·D, H]      @param vBias [kv·D]
 * @param o     [H, nh·D]
 * @param gate  the log-decay gate (low-rank float or dense spiking)
 * @param gNorm g_norm [D], shared by all heads
 */
public record AttentionWeights(Linear q, float[] qBias, Linear k, float[] kBias, Linear v, float[] vBias, Linear o,
                               GlaGate gate, float[] gNorm) {
    public boolean hasGate() {
        return gate != null;
    }
}
