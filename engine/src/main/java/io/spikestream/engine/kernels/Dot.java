package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one definition of a dot product used by every kernel, so that a value is the same bits whichever
 * kernel (matrix-matrix, matrix-vector, attention), thread count or CPU computes it:
 * <pre>
 *   acc[l] = fma chain over k = l, l+16, l+32, ... (k below the last multiple of 16)   for l = 0..15
 *   s      = halving tree: acc[l] += acc[l+8] (l &lt; 8); acc[l] += acc[l+4] (l &lt; 4); acc[l] += acc[l+2]; acc[0] + acc[1]
 *   s      = fma(a[k], b[k], s) for the remaining k, in order
 * </pre>
 * Sixteen logical lanes map onto one AVX-512 vector; other CPUs run the same arithmetic in scalar form.
 * {@link #columns16} computes sixteen such products at once with the lanes along the sixteen columns (the
 * sixteen partial sums are then sixteen vectors, and the tree is vector additions), which is what makes
 * attention over many short keys cheap; MatMul's tiles sum sixteen accumulators with the same tree through
 * a transpose-and-add network.
 */
public final class Dot {
    public static final int LANES = 16;
    static final VectorSpecies<Float> S16 = FloatVector.SPECIES_512;
    /** Vector code is used only where 16 float lanes are native; elsewhere the scalar form (same bits). */
    static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= LANES;

    /**
     * CPUs with 8 float lanes (AVX2): the sixteen logical lanes as two vectors, lanes 0–7 and 8–15, so the
     * definition's first halving step is their sum and the rest runs in one 8-lane vector — the same additions
     * of the same values, hence the same bits as the 16-lane and scalar forms.
     */
    static final boolean VECTOR8 = !VECTOR && FloatVector.SPECIES_PREFERRED.length() == 8;
    static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorShuffle<Float> ROT4_8 = VectorShuffle.fromValues(S8, 4, 5, 6, 7, 0, 1, 2, 3);
    private static final VectorShuffle<Float> ROT2_8 = VectorShuffle.fromValues(S8, 2, 3, 0, 1, 6, 7, 4, 5);
    private static final VectorShuffle<Float> ROT1_8 = VectorShuffle.fromValues(S8, 1, 0, 3, 2, 5, 4, 7, 6);

    static final VectorShuffle<Float> ROT8 = rotation(8);
    static final VectorShuffle<Float> ROT4 = rotation(4);
    static final VectorShuffle<Float> ROT2 = rotation(2);
    static final VectorShuffle<Float> ROT1 = rotation(1);
    static final VectorMask<Float> UPPER8 = upper(8);
    static final VectorMask<Float> UPPER4 = upper(4);
    static final VectorMask<Float> UPPER2 = upper(2);
    static final VectorMask<Float> UPPER1 = upper(1);

    private Dot() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        return VECTOR ? dotVector(a, aOffset, b, bOffset, n) : VECTOR8 ? dotVector8(a, aOffset, b, bOffset, n) : dotScalar(a, aOffset, b, bOffset, n);
    }

    /** The definition on 8-lane vectors: lanes 0–7 and 8–15 of each step of 16 as two chains. */
    static float dotVector8(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int bound = n - n % LANES;
        FloatVector lo = FloatVector.zero(S8);
        FloatVector hi = lo;
        for (int k = 0; k < bound; k += LANES) {
            lo = FloatVector.fromArray(S8, a, aOffset + k).fma(FloatVector.fromArray(S8, b, bOffset + k), lo);
            hi = FloatVector.fromArray(S8, a, aOffset + k + 8).fma(FloatVector.fromArray(S8, b, bOffset + k + 8), hi);
        }
        return tail(a, aOffset, b, bOffset, n, sum8(lo, hi));
    }

    /** The halving-tree sum of sixteen lanes held as lanes 0–7 ({@code lo}) and 8–15 ({@code hi}). */
    static float sum8(FloatVector lo, FloatVector hi) {
        FloatVector x = lo.add(hi);
        x = x.add(x.rearrange(ROT4_8));
        x = x.add(x.rearrange(ROT2_8));
        return x.add(x.rearrange(ROT1_8)).lane(0);
    }

    static float dotVector(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int bound = n - n % LANES;
        FloatVector acc = FloatVector.zero(S16);
        for (int k = 0; k < bound; k += LANES) {
            acc = FloatVector.fromArray(S16, a, aOffset + k).fma(FloatVector.fromArray(S16, b, bOffset + k), acc);
        }
        // The halving tree in the vector: lane l < h gains lane l + h (a rotation within groups of 2h).
        acc = acc.add(acc.rearrange(ROT8));
        acc = acc.add(acc.rearrange(ROT4));
        acc = acc.add(acc.rearrange(ROT2));
        acc = acc.add(acc.rearrange(ROT1));
        return tail(a, aOffset, b, bOffset, n, acc.lane(0));
    }

    /** The reference form of the definition above, lane by lane. */
    public static float dotScalar(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int bound = n - n % LANES;
        float[] acc = new float[LANES];
        for (int k = 0; k < bound; k += LANES) {
            for (int l = 0; l < LANES; l++) {
                acc[l] = Math.fma(a[aOffset + k + l], b[bOffset + k + l], acc[l]);
            }
        }
        return tail(a, aOffset, b, bOffset, n, sumLanes(acc, 0));
    }

    /**
     * Sixteen dot products of {@code x[xOffset..xOffset+n)} with the columns of a k-major block of sixteen
     * columns, {@code cols[offset + k·16 + i]} (column i, element k): {@code out[outOffset + i]} is exactly
     * {@link #dot}'s value of column i and x. The lanes run along the columns, so the definition's sixteen
     * partial sums are sixteen vectors and its halving tree is fifteen vector additions, with no shuffles:
     * the fast form for short vectors (a 16-wide attention head), where the lane-per-k form's tree costs as
     * much as the multiply-adds.
     */
    public static void columns16(float[] cols, int offset, float[] x, int xOffset, int n, float[] out, int outOffset) {
        if (VECTOR8) {
            columns16x8(cols, offset, x, xOffset, n, out, outOffset);
            return;
        }
        if (!VECTOR) {
            float[] column = new float[n];
            for (int i = 0; i < LANES; i++) {
                for (int k = 0; k < n; k++) {
                    column[k] = cols[offset + k * LANES + i];
                }
                out[outOffset + i] = dotScalar(column, 0, x, xOffset, n);
            }
            return;
        }
        FloatVector a0 = FloatVector.zero(S16), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        int bound = n - n % LANES;
        for (int k = 0; k < bound; k += LANES) {
            int c = offset + k * LANES;
            int xo = xOffset + k;
            a0 = FloatVector.fromArray(S16, cols, c + 0).fma(FloatVector.broadcast(S16, x[xo + 0]), a0);
            a1 = FloatVector.fromArray(S16, cols, c + 16).fma(FloatVector.broadcast(S16, x[xo + 1]), a1);
            a2 = FloatVector.fromArray(S16, cols, c + 32).fma(FloatVector.broadcast(S16, x[xo + 2]), a2);
            a3 = FloatVector.fromArray(S16, cols, c + 48).fma(FloatVector.broadcast(S16, x[xo + 3]), a3);
            a4 = FloatVector.fromArray(S16, cols, c + 64).fma(FloatVector.broadcast(S16, x[xo + 4]), a4);
            a5 = FloatVector.fromArray(S16, cols, c + 80).fma(FloatVector.broadcast(S16, x[xo + 5]), a5);
            a6 = FloatVector.fromArray(S16, cols, c + 96).fma(FloatVector.broadcast(S16, x[xo + 6]), a6);
            a7 = FloatVector.fromArray(S16, cols, c + 112).fma(FloatVector.broadcast(S16, x[xo + 7]), a7);
            a8 = FloatVector.fromArray(S16, cols, c + 128).fma(FloatVector.broadcast(S16, x[xo + 8]), a8);
            a9 = FloatVector.fromArray(S16, cols, c + 144).fma(FloatVector.broadcast(S16, x[xo + 9]), a9);
            a10 = FloatVector.fromArray(S16, cols, c + 160).fma(FloatVector.broadcast(S16, x[xo + 10]), a10);
            a11 = FloatVector.fromArray(S16, cols, c + 176).fma(FloatVector.broadcast(S16, x[xo + 11]), a11);
            a12 = FloatVector.fromArray(S16, cols, c + 192).fma(FloatVector.broadcast(S16, x[xo + 12]), a12);
            a13 = FloatVector.fromArray(S16, cols, c + 208).fma(FloatVector.broadcast(S16, x[xo + 13]), a13);
            a14 = FloatVector.fromArray(S16, cols, c + 224).fma(FloatVector.broadcast(S16, x[xo + 14]), a14);
            a15 = FloatVector.fromArray(S16, cols, c + 240).fma(FloatVector.broadcast(S16, x[xo + 15]), a15);
        }
        // The halving tree: lane l of the definition is vector a_l here.
        FloatVector y0 = a0.add(a8).add(a4.add(a12));
        FloatVector y1 = a1.add(a9).add(a5.add(a13));
        FloatVector y2 = a2.add(a10).add(a6.add(a14));
        FloatVector y3 = a3.add(a11).add(a7.add(a15));
        FloatVector s = y0.add(y2).add(y1.add(y3));
        for (int k = bound; k < n; k++) {
            s = FloatVector.fromArray(S16, cols, offset + k * LANES).fma(FloatVector.broadcast(S16, x[xOffset + k]), s);
        }
        s.intoArray(out, outOffset);
    }

    /**
     * {@link #columns16} on 8-lane vectors: columns 0–7, then 8–15, each with the definition's sixteen partial
     * sums as sixteen vectors and the same tree.
     */
    static void columns16x8(float[] cols, int offset, float[] x, int xOffset, int n, float[] out, int outOffset) {
        int bound = n - n % LANES;
        for (int h = 0; h < LANES; h += 8) {
            FloatVector a0 = FloatVector.zero(S8), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int k = 0; k < bound; k += LANES) {
                int c = offset + k * LANES + h;
                int xo = xOffset + k;
                a0 = FloatVector.fromArray(S8, cols, c).fma(FloatVector.broadcast(S8, x[xo]), a0);
                a1 = FloatVector.fromArray(S8, cols, c + 16).fma(FloatVector.broadcast(S8, x[xo + 1]), a1);
                a2 = FloatVector.fromArray(S8, cols, c + 32).fma(FloatVector.broadcast(S8, x[xo + 2]), a2);
                a3 = FloatVector.fromArray(S8, cols, c + 48).fma(FloatVector.broadcast(S8, x[xo + 3]), a3);
                a4 = FloatVector.fromArray(S8, cols, c + 64).fma(FloatVector.broadcast(S8, x[xo + 4]), a4);
                a5 = FloatVector.fromArray(S8, cols, c + 80).fma(FloatVector.broadcast(S8, x[xo + 5]), a5);
                a6 = FloatVector.fromArray(S8, cols, c + 96).fma(FloatVector.broadcast(S8, x[xo + 6]), a6);
                a7 = FloatVector.fromArray(S8, cols, c + 112).fma(FloatVector.broadcast(S8, x[xo + 7]), a7);
                a8 = FloatVector.fromArray(S8, cols, c + 128).fma(FloatVector.broadcast(S8, x[xo + 8]), a8);
                a9 = FloatVector.fromArray(S8, cols, c + 144).fma(FloatVector.broadcast(S8, x[xo + 9]), a9);
                a10 = FloatVector.fromArray(S8, cols, c + 160).fma(FloatVector.broadcast(S8, x[xo + 10]), a10);
                a11 = FloatVector.fromArray(S8, cols, c + 176).fma(FloatVector.broadcast(S8, x[xo + 11]), a11);
                a12 = FloatVector.fromArray(S8, cols, c + 192).fma(FloatVector.broadcast(S8, x[xo + 12]), a12);
                a13 = FloatVector.fromArray(S8, cols, c + 208).fma(FloatVector.broadcast(S8, x[xo + 13]), a13);
                a14 = FloatVector.fromArray(S8, cols, c + 224).fma(FloatVector.broadcast(S8, x[xo + 14]), a14);
                a15 = FloatVector.fromArray(S8, cols, c + 240).fma(FloatVector.broadcast(S8, x[xo + 15]), a15);
            }
            FloatVector y0 = a0.add(a8).add(a4.add(a12));
            FloatVector y1 = a1.add(a9).add(a5.add(a13));
            FloatVector y2 = a2.add(a10).add(a6.add(a14));
            FloatVector y3 = a3.add(a11).add(a7.add(a15));
            FloatVector s = y0.add(y2).add(y1.add(y3));
            for (int k = bound; k < n; k++) {
                s = FloatVector.fromArray(S8, cols, offset + k * LANES + h).fma(FloatVector.broadcast(S8, x[xOffset + k]), s);
            }
            s.intoArray(out, outOffset + h);
        }
    }

    /** Adds the elements past the last multiple of 16 to a lane sum, in order. */
    static float tail(float[] a, int aOffset, float[] b, int bOffset, int n, float s) {
        for (int k = n - n % LANES; k < n; k++) {
            s = Math.fma(a[aOffset + k], b[bOffset + k], s);
        }
        return s;
    }

    /** The halving-tree sum of {@code acc[offset .. offset+15]}. */
    static float sumLanes(float[] acc, int o) {
        float x0 = acc[o] + acc[o + 8];
        float x1 = acc[o + 1] + acc[o + 9];
        float x2 = acc[o + 2] + acc[o + 10];
        float x3 = acc[o + 3] + acc[o + 11];
        float x4 = acc[o + 4] + acc[o + 12];
        float x5 = acc[o + 5] + acc[o + 13];
        float x6 = acc[o + 6] + acc[o + 14];
        float x7 = acc[o + 7] + acc[o + 15];
        float y0 = x0 + x4;
        float y1 = x1 + x5;
        float y2 = x2 + x6;
        float y3 = x3 + x7;
        return (y0 + y2) + (y1 + y3);
    }

    /** Rotation by h within each group of 2·h lanes. */
    private static VectorShuffle<Float> rotation(int h) {
        int[] idx = new int[LANES];
        for (int l = 0; l < LANES; l++) {
            int group = l / (2 * h) * (2 * h);
            idx[l] = group + (l - group + h) % (2 * h);
        }
        return VectorShuffle.fromArray(S16, idx, 0);
    }

    /** The upper h lanes of each group of 2·h lanes. */
    private static VectorMask<Float> upper(int h) {
        boolean[] bits = new boolean[LANES];
        for (int l = 0; l < LANES; l++) {
            bits[l] = l % (2 * h) >= h;
        }
        return VectorMask.fromArray(S16, bits, 0);
    }
}
