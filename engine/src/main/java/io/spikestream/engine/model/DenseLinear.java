package io.spikestream.engine.model;

import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.tensor.Matrix;

/** A float projection: its input's activations times a weight matrix of any float format. */
public record DenseLinear(Matrix weight) implements Linear {
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
        MatMul.matmul(weight, bias, input.values(), input.first(), y, input.first(), input.tokens(), parallel);
    }

    @Override
    public long storedBytes() {
        return weight.storedBytes();
    }
}
