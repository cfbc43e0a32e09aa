package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The two reductions of a softmax denominator over a slice: its maximum, and Σ e^(x − shift). The sum follows
 * the dot product's definition (16 logical lanes, the fixed halving tree, then the tail in order), so the
 * vector and scalar forms give the same bits on every CPU.
 */
public final class SumExp {
    private SumExp() {
    }

    /** max of {@code x[offset .. offset+n)} (order does not matter for max: any form gives the same bits). */
    public static float max(float[] x, int offset, int n) {
        float m = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (Dot.VECTOR) {
            FloatVector acc = FloatVector.broadcast(Dot.S16, Float.NEGATIVE_INFINITY);
            for (int bound = n - n % Dot.LANES; i < bound; i += Dot.LANES) {
                acc = acc.max(FloatVector.fromArray(Dot.S16, x, offset + i));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[offset + i]);
        }
        return m;
    }

    /** Σ e^(x[i] − shift) over {@code x[offset .. offset+n)}. */
    public static float sumExp(float[] x, int offset, int n, float shift) {
        int bound = n - n % Dot.LANES;
        float[] lanes = new float[Dot.LANES];
        if (Dot.VECTOR) {
            FloatVector acc = FloatVector.zero(Dot.S16);
            for (int i = 0; i < bound; i += Dot.LANES) {
                acc = acc.add(Exp.exp(FloatVector.fromArray(Dot.S16, x, offset + i).sub(shift)));
            }
            acc.intoArray(lanes, 0);
        } else {
            for (int i = 0; i < bound; i += Dot.LANES) {
                for (int l = 0; l < Dot.LANES; l++) {
                    lanes[l] += Exp.exp(x[offset + i + l] - shift);
                }
            }
        }
        float s = Dot.sumLanes(lanes, 0);
        for (int i = bound; i < n; i++) {
            s += Exp.exp(x[offset + i] - shift);
        }
        return s;
    }
}
