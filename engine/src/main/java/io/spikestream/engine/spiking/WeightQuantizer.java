package io.spikestream.engine.spiking;

import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.SpikeWeights;

/**
 * Weight codes of W8ASpike: {@code code = round(W / scale)} per output row and group of input features,
 * symmetric, round half to even, never clamped (REFERENCE.md). Also the absmax scales of post-training
 * quantization.
 */
public final class WeightQuantizer {
    /** Largest |code| accepted: beyond it the scale is far too small for the weight (a broken checkpoint). */
    public static final int MAX_ABS_CODE = 32767;

    private WeightQuantizer() {
    }

    /** round(w / scale), half to even, computed in double. */
    public static int code(float w, float scale) {
        return (int) Math.rint((double) w / (double) scale);
    }

    /**
     * The codes of a float weight [out, in] under {@code scales} [out][in / groupSize] (row-major), in the
     * spiking kernels' layout. Scales must be positive and finite; a code beyond ±{@value #MAX_ABS_CODE} is
     * refused, naming the tensor, row and column.
     */
    public static SpikeWeights quantize(Matrix weight, float[] scales, int groupSize, String name) {
        int out = weight.rows();
        int in = weight.cols();
        if (groupSize <= 0 || in % groupSize != 0) {
            throw new CheckpointException("tensor '" + name + "' [" + out + ", " + in + "]: group size " + groupSize
                    + " does not divide its " + in + " input features");
        }
        int groups = in / groupSize;
        if (scales.length != (long) out * groups) {
            throw new CheckpointException("tensor '" + name + "' [" + out + ", " + in + "] needs " + out + " × " + groups
                    + " scales, got " + scales.length);
        }
        for (int i = 0; i < scales.length; i++) {
            if (!(scales[i] > 0) || !Float.isFinite(scales[i])) {
                throw new CheckpointException("scales of '" + name + "': row " + i / groups + ", group " + i % groups
                        + " has scale " + scales[i] + " (scales must be positive and finite)");
            }
        }
        float[] row = new float[in];
        return SpikeWeights.build(out, in, groupSize, (o, codes) -> {
            weight.widenRow(o, row, 0);
            for (int i = 0; i < in; i++) {
                double c = Math.rint((double) row[i] / (double) scales[o * groups + i / groupSize]);
                if (!(Math.abs(c) <= MAX_ABS_CODE)) {
                    throw new CheckpointException("tensor '" + name + "': the code of row " + o + ", column " + i + " is " + c
                            + " (weight " + row[i] + ", scale " + scales[o * groups + i / groupSize]
                            + "); codes beyond ±" + MAX_ABS_CODE + " mean the scales do not belong to this weight");
                }
                codes[i] = (int) c;
            }
        }, scales);
    }

    /**
     * Post-training scales: {@code max|W| / 127} per output row and group, so every code lies in [−127, 127]
     * (an all-zero group gets scale 1). Computed in float.
     */
    public static float[] absmaxScales(Matrix weight, int groupSize) {
        int out = weight.rows();
        int in = weight.cols();
        if (groupSize <= 0 || in % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide " + in + " input features");
        }
        int groups = in / groupSize;
        float[] scales = new float[out * groups];
        float[] row = new float[in];
        for (int o = 0; o < out; o++) {
            weight.widenRow(o, row, 0);
            for (int g = 0; g < groups; g++) {
                float max = 0f;
                for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                    max = Math.max(max, Math.abs(row[i]));
                }
                scales[o * groups + g] = max == 0f ? 1f : max / 127f;
            }
        }
        return scales;
    }
}
