package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.SpikingMatMul;
import io.spikestream.engine.tensor.SpikeWeights;

/**
 * A W8ASpike QuantLinear: the input becomes adaptive-threshold spike counts, the weight integer codes with
 * per-group scales, and the product integer sums inside each group (REFERENCE.md).
 */
public record SpikingLinear(SpikeWeights weight) implements Linear {
    @Override
    public int rows() {
        return weight.rows();
    }

    @Override
    public int cols() {
        return weight.cols();
    }

    @Override
    public void apply(LinearInput input, float[] bias, float[] y, Parallel parallel) {
        SpikingMatMul.matmul(weight, bias, input.spikes(), y, parallel);
    }

    @Override
    public long storedBytes() {
        return weight.storedBytes();
    }
}
