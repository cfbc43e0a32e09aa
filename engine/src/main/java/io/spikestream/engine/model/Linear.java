package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;

/** A projection {@code y = W x + b} of the model, in the numerics its weights are stored for. */
public sealed interface Linear permits DenseLinear, SpikingLinear {
    /** Output features. */
    int rows();

    /** Input features. */
    int cols();

    /** y (rows per token, at the input's token rows) for the tokens of {@code input}; {@code bias} may be null. */
    void apply(LinearInput input, float[] bias, float[] y, Parallel parallel);

    /** Bytes the weights occupy in memory or in their mapped file. */
    long storedBytes();
}
