package io.spikestream.engine.kernels;

import io.spikestream.engine.tensor.BF16Matrix;
import io.spikestream.engine.tensor.MappedVectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decode (a few tokens) against bfloat16 weights, widening each 16-weight vector in registers instead of
 * widening 16 rows into a float panel first: the panel cost a write and a read of 4 bytes per weight on top of
 * the 2 bytes read from the weights, which is what bounds decode (it streams every weight once per token).
 * A bf16 widens exactly (it is the upper half of a float32) and every output follows {@link Dot}'s definition,
 * so the bits equal {@link MatMul}'s panel path. CPUs with 16 float lanes (AVX-512) and with 8 (AVX2) each
 * have their form.
 */
final class BF16MatVec {
    private static final VectorSpecies<Float> F = Dot.S16;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F8 = Dot.S8;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    /** The upper half of an int: the odd bf16 of a pair, as float bits. */
    private static final int HIGH = 0xFFFF0000;
    private static final int L = Dot.LANES;
    /** Chunks of at most this many tokens take this path (beyond, the panel's widening is shared by enough tokens). */
    static final int MAX_TOKENS = 3;

    private BF16MatVec() {
    }

    /** Only where rows are whole vectors (no tail), on CPUs with 16 or 8 float lanes. */
    static boolean applies(Object w, int n) {
        return (Dot.VECTOR || Dot.VECTOR8) && n <= MAX_TOKENS && w instanceof BF16Matrix m && m.cols() % L == 0;
    }

    /** Rows [r0, r1) for the n tokens of x from {@code xOffset}; y[t * yStride + yOffset + o − r0] as in {@link MatMul#rows}. */
    static void rows(BF16Matrix w, int r0, int r1, float[] bias, float[] x, int xOffset, int n, float[] y, int yStride, int yOffset) {
        int k = w.cols();
        float[] lanes = new float[4 * L];
        float[] sums = new float[4];
        float[] xe = Dot.VECTOR ? null : new float[n * k / 2];
        float[] xo = Dot.VECTOR ? null : new float[n * k / 2];
        for (int t = 0; xe != null && t < n; t++) {
            split(x, xOffset + t * k, k, xe, xo, t * k / 2);
        }
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            for (int t = 0; t < n; t++) {
                if (Dot.VECTOR) {
                    tile4(w, r, x, xOffset + t * k, k, lanes);
                    for (int i = 0; i < 4; i++) {
                        sums[i] = Dot.sumLanes(lanes, i * L); // no tail: the rows are whole vectors
                    }
                } else {
                    tile4x8(w, r, xe, xo, t * k / 2, k, sums, lanes);
                }
                for (int i = 0; i < 4; i++) {
                    y[t * yStride + yOffset + r + i - r0] = bias == null ? sums[i] : sums[i] + bias[r + i];
                }
            }
        }
        for (; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                float s;
                if (Dot.VECTOR) {
                    tile1(w, r, x, xOffset + t * k, k, lanes);
                    s = Dot.sumLanes(lanes, 0);
                } else {
                    s = tile1x8(w, r, xe, xo, t * k / 2, k, lanes);
                }
                y[t * yStride + yOffset + r - r0] = bias == null ? s : s + bias[r];
            }
        }
    }

    /** 16 bf16 at byte {@code at} of {@code page}, as the floats they are. */
    private static FloatVector widen(MappedVectors.Region page, int at) {
        ShortVector s = MappedVectors.shorts(H, page, at);
        return ((IntVector) s.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static void tile4(BF16Matrix w, int r, float[] x, int xOff, int k, float[] out) {
        MappedVectors.Region p0 = w.rowRegion(r);
        MappedVectors.Region p1 = w.rowRegion(r + 1);
        MappedVectors.Region p2 = w.rowRegion(r + 2);
        MappedVectors.Region p3 = w.rowRegion(r + 3);
        int o0 = w.rowByteOffset(r);
        int o1 = w.rowByteOffset(r + 1);
        int o2 = w.rowByteOffset(r + 2);
        int o3 = w.rowByteOffset(r + 3);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < k; c += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
            a0 = widen(p0, o0 + 2 * c).fma(xv, a0);
            a1 = widen(p1, o1 + 2 * c).fma(xv, a1);
            a2 = widen(p2, o2 + 2 * c).fma(xv, a2);
            a3 = widen(p3, o3 + 2 * c).fma(xv, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, L);
        a2.intoArray(out, 2 * L);
        a3.intoArray(out, 3 * L);
    }

    /**
     * 4 rows × 1 token on 8-lane vectors. Sixteen bf16 load as eight ints, each holding an even element (low
     * half) and the next odd one (high half): a shift and a mask make them floats in place, with no widening
     * conversion. The even vector's lane j is the definition's lane 2j and the odd one's lane 2j+1, so with the
     * input split the same way ({@code xe}, {@code xo}) each lane is the definition's chain; the lanes are put
     * back in order for the sum.
     */
    private static void tile4x8(BF16Matrix w, int r, float[] xe, float[] xo, int xOff, int k, float[] sums, float[] lanes) {
        MappedVectors.Region p0 = w.rowRegion(r);
        MappedVectors.Region p1 = w.rowRegion(r + 1);
        MappedVectors.Region p2 = w.rowRegion(r + 2);
        MappedVectors.Region p3 = w.rowRegion(r + 3);
        int o0 = w.rowByteOffset(r);
        int o1 = w.rowByteOffset(r + 1);
        int o2 = w.rowByteOffset(r + 2);
        int o3 = w.rowByteOffset(r + 3);
        FloatVector e0 = FloatVector.zero(F8), e1 = e0, e2 = e0, e3 = e0, d0 = e0, d1 = e0, d2 = e0, d3 = e0;
        for (int c = 0; c < k; c += L) {
            FloatVector xev = FloatVector.fromArray(F8, xe, xOff + (c >> 1));
            FloatVector xov = FloatVector.fromArray(F8, xo, xOff + (c >> 1));
            IntVector v0 = MappedVectors.ints(I8, p0, o0 + 2 * c);
            IntVector v1 = MappedVectors.ints(I8, p1, o1 + 2 * c);
            IntVector v2 = MappedVectors.ints(I8, p2, o2 + 2 * c);
            IntVector v3 = MappedVectors.ints(I8, p3, o3 + 2 * c);
            e0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xev, e0);
            d0 = v0.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats().fma(xov, d0);
            e1 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xev, e1);
            d1 = v1.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats().fma(xov, d1);
            e2 = v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xev, e2);
            d2 = v2.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats().fma(xov, d2);
            e3 = v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xev, e3);
            d3 = v3.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats().fma(xov, d3);
        }
        sums[0] = sumEvenOdd(e0, d0, lanes);
        sums[1] = sumEvenOdd(e1, d1, lanes);
        sums[2] = sumEvenOdd(e2, d2, lanes);
        sums[3] = sumEvenOdd(e3, d3, lanes);
    }

    private static float tile1x8(BF16Matrix w, int r, float[] xe, float[] xo, int xOff, int k, float[] lanes) {
        MappedVectors.Region p = w.rowRegion(r);
        int o = w.rowByteOffset(r);
        FloatVector e = FloatVector.zero(F8);
        FloatVector d = e;
        for (int c = 0; c < k; c += L) {
            IntVector v = MappedVectors.ints(I8, p, o + 2 * c);
            e = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F8, xe, xOff + (c >> 1)), e);
            d = v.lanewise(VectorOperators.AND, HIGH).reinterpretAsFloats().fma(FloatVector.fromArray(F8, xo, xOff + (c >> 1)), d);
        }
        return sumEvenOdd(e, d, lanes);
    }

    /** The definition's sum of lanes held as even (2j) and odd (2j+1) lanes. */
    private static float sumEvenOdd(FloatVector even, FloatVector odd, float[] lanes) {
        even.intoArray(lanes, 16);
        odd.intoArray(lanes, 24);
        for (int j = 0; j < 8; j++) {
            lanes[2 * j] = lanes[16 + j];
            lanes[2 * j + 1] = lanes[24 + j];
        }
        return Dot.sumLanes(lanes, 0);
    }

    /** Splits token t's input into its even and odd elements (the layout of {@link #tile4x8}'s lanes). */
    private static void split(float[] x, int xOff, int k, float[] xe, float[] xo, int at) {
        for (int i = 0; i < k / 2; i++) {
            xe[at + i] = x[xOff + 2 * i];
            xo[at + i] = x[xOff + 2 * i + 1];
        }
    }

    private static void tile1(BF16Matrix w, int r, float[] x, int xOff, int k, float[] out) {
        MappedVectors.Region p = w.rowRegion(r);
        int o = w.rowByteOffset(r);
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < k; c += L) {
            a = widen(p, o + 2 * c).fma(FloatVector.fromArray(F, x, xOff + c), a);
        }
        a.intoArray(out, 0);
    }
}
