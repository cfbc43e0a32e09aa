package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x in float32 from additions, multiplications and fused multiply-adds only (Cephes' expf polynomial,
 * relative error about 1e-7), so a vector lane and the scalar form give the same bits on every CPU and JIT
 * tier. The Vector API's own EXP, and Math.exp, make no such promise.
 *
 * <p>The argument is clamped to [−87, 88] and there are no other special cases: e^x saturates at e^−87 ≈ 1.6e−38
 * below and e^88 ≈ 1.7e38 above (never 0 or ∞), and NaN stays NaN. Masks and blends for the edge cases are
 * what JDK 17 does not compile to SIMD in this code, and the callers (softmax weights, sigmoid, GLA decays)
 * lose nothing by saturating.
 */
public final class Exp {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LO = -87.0f;
    private static final float HI = 88.0f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float C1 = 0.693359375f;
    private static final float C2 = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private Exp() {
    }

    public static float exp(float x) {
        float xc = Math.min(Math.max(x, LO), HI);
        float rounded = Math.fma(xc, LOG2E, ROUND);
        float n = rounded - ROUND;
        float r = Math.fma(n, -C1, xc);
        r = Math.fma(n, -C2, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(rounded) - ROUND_BITS + 127) << 23);
    }

    /** The same function on each lane. */
    public static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> sp = x.species();
        FloatVector xc = x.max(LO).min(HI);
        FloatVector rounded = xc.fma(LOG2E, ROUND);
        FloatVector n = rounded.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -C1), xc);
        r = n.fma(FloatVector.broadcast(sp, -C2), r);
        FloatVector p = FloatVector.broadcast(sp, P0).fma(r, FloatVector.broadcast(sp, P1));
        p = p.fma(r, FloatVector.broadcast(sp, P2));
        p = p.fma(r, FloatVector.broadcast(sp, P3));
        p = p.fma(r, FloatVector.broadcast(sp, P4));
        p = p.fma(r, FloatVector.broadcast(sp, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        // n as an int without a float->int conversion (not compiled to SIMD on JDK 17: a slow Java loop there):
        // rounded = 1.5·2^23 + n holds n in its low mantissa bits, so its bits minus those of 1.5·2^23 are n.
        IntVector bits = rounded.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /** {@code dst[i] = exp(src[i])} for n elements. */
    public static void exp(float[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            exp(FloatVector.fromArray(S, src, srcOffset + i)).intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = exp(src[srcOffset + i]);
        }
    }
}
