package io.spikestream.engine.model;

/**
 * The softmax branch of a spikingbrain_moe layer (it runs beside the linear branch and shares its o_proj):
 * RoPE'd grouped-query attention over the sinks and the document's window, its head outputs RMS-normalized.
 *
 * @param q [nh·D, H]   @param k [kv·D, H]   @param v [kv·D, H] (with biases)
 * @param norm [D], shared by the heads
 */
public record SoftmaxBranch(Linear q, float[] qBias, Linear k, float[] kBias, Linear v, float[] vBias, float[] norm) {
    long storedBytes() {
        return q.storedBytes() + k.storedBytes() + v.storedBytes();
    }

    long macsPerToken() {
        return (long) q.rows() * q.cols() + (long) k.rows() * k.cols() + (long) v.rows() * v.cols();
    }
}
