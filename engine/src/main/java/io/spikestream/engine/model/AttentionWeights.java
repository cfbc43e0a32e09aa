package io.spikestream.engine.model;

/**
 * The token-mixing weights of one layer. The gate exists only in GLA layers; the softmax branch only in
 * spikingbrain_moe layers, whose linear branch has no gate (its decay is tied to the key).
 *
 * @param q       [nh·D, H]      @param qBias [nh·D]
 * @param k       [kv·D, H]      @param kBias [kv·D]
 * @param v       [kv·D, H]      @param vBias [kv·D]
 * @param o       [H, nh·D]
 * @param gate    the log-decay gate (low-rank float or dense spiking), or null
 * @param gNorm   the linear branch's per-head norm [D] (g_norm, la.norm), null in a sliding-window layer
 * @param softmax spikingbrain_moe's softmax branch, or null
 */
public record AttentionWeights(Linear q, float[] qBias, Linear k, float[] kBias, Linear v, float[] vBias, Linear o,
                               GlaGate gate, float[] gNorm, SoftmaxBranch softmax) {
    /** A gla_swa layer's weights. */
    public AttentionWeights(Linear q, float[] qBias, Linear k, float[] kBias, Linear v, float[] vBias, Linear o, GlaGate gate,
                            float[] gNorm) {
        this(q, qBias, k, kBias, v, vBias, o, gate, gNorm, null);
    }

    public boolean hasGate() {
        return gate != null;
    }
}
