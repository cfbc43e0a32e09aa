package io.spikestream.engine.model;

import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.tensor.Matrix;

/**
 * The logits of a GLA layer's log decay, {@code g = logsigmoid(logits) / 16}: the float checkpoint's low-rank
 * pair {@code gk_proj.0/1}, or the W8ASpike checkpoint's one dense (spiking) {@code gk_proj}.
 */
public sealed interface GlaGate permits GlaGate.LowRank, GlaGate.Dense {
    /** kv·D logits per token into {@code out} (n × kv·D, at the input's token rows). */
    void logits(LinearInput input, float[] out, Parallel parallel);

    /** Output features (kv·D). */
    int rows();

    long storedBytes();

    /** {@code gk_proj.1(gk_proj.0(a)) + b}: down [r, H], up [kv·D, r]. */
    record LowRank(Matrix down, Matrix up, float[] bias) implements GlaGate {
        @Override
        public void logits(LinearInput input, float[] out, Parallel parallel) {
            float[] low = new float[input.tokens() * down.rows()];
            MatMul.matmul(down, null, input.values(), input.first(), low, 0, input.tokens(), parallel);
            MatMul.matmul(up, bias, low, 0, out, input.first(), input.tokens(), parallel);
        }

        @Override
        public int rows() {
            return up.rows();
        }

        @Override
        public long storedBytes() {
            return down.storedBytes() + up.storedBytes();
        }
    }

    /** {@code gk_proj(a) + b} with weight [kv·D, H]. */
    record Dense(Linear linear, float[] bias) implements GlaGate {
        @Override
        public void logits(LinearInput input, float[] out, Parallel parallel) {
            linear.apply(input, bias, out, parallel);
        }

        @Override
        public int rows() {
            return linear.rows();
        }

        @Override
        public long storedBytes() {
            return linear.storedBytes();
        }
    }
}
