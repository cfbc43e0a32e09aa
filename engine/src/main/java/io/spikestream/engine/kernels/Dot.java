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
 * {@link #reduce16} sums sixteen accumulators at once with the same tree (a transpose-and-add network),
 * which is what makes tiled kernels cheap.
 */
public final class Dot {
    public static final int LANES = 16;
    static final VectorSpecies<Float> S16 = FloatVector.SPECIES_512;
    /** Vector code is used only where 16 float lanes are native; elsewhere the scalar form (same bits). */
    static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= LANES;

    private static final VectorShuffle<Float> ROT8 = rotation(8);
    private static final VectorShuffle<Float> ROT4 = rotation(4);
    private static final VectorShuffle<Float> ROT2 = rotation(2);
    private static final VectorShuffle<Float> ROT1 = rotation(1);
    private static final VectorMask<Float> UPPER8 = upper(8);
    private static final VectorMask<Float> UPPER4 = upper(4);
    private static final VectorMask<Float> UPPER2 = upper(2);
    private static final VectorMask<Float> UPPER1 = upper(1);

    private Dot() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        return VECTOR ? dotVector(a, aOffset, b, bOffset, n) : dotScalar(a, aOffset, b, bOffset, n);
    }

    static float dotVector(float[] a, int aOffset, float[] b, int bOffset, int n) {
        int bound = n - n % LANES;
        FloatVector acc = FloatVector.zero(S16);
        for (int k = 0; k < bound; k += LANES) {
            acc = FloatVector.fromArray(S16, a, aOffset + k).fma(FloatVector.fromArray(S16, b, bOffset + k), acc);
        }
        float[] lanes = new float[LANES];
        acc.intoArray(lanes, 0);
        return tail(a, aOffset, b, bOffset, n, sumLanes(lanes, 0));
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
     * Sixteen dot products of {@code q} with vectors {@code v[i]} at {@code off[i]} (attention scores of one
     * query against 16 keys), each exactly {@link #dot}'s value, written to {@code out[0..15]}.
     */
    public static void dot16(float[] q, int qOffset, float[][] v, int[] off, int n, float[] out) {
        if (!VECTOR) {
            for (int i = 0; i < LANES; i++) {
                out[i] = dotScalar(q, qOffset, v[i], off[i], n);
            }
            return;
        }
        FloatVector a0 = FloatVector.zero(S16), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        int bound = n - n % LANES;
        for (int k = 0; k < bound; k += LANES) {
            FloatVector x = FloatVector.fromArray(S16, q, qOffset + k);
            a0 = FloatVector.fromArray(S16, v[0], off[0] + k).fma(x, a0);
            a1 = FloatVector.fromArray(S16, v[1], off[1] + k).fma(x, a1);
            a2 = FloatVector.fromArray(S16, v[2], off[2] + k).fma(x, a2);
            a3 = FloatVector.fromArray(S16, v[3], off[3] + k).fma(x, a3);
            a4 = FloatVector.fromArray(S16, v[4], off[4] + k).fma(x, a4);
            a5 = FloatVector.fromArray(S16, v[5], off[5] + k).fma(x, a5);
            a6 = FloatVector.fromArray(S16, v[6], off[6] + k).fma(x, a6);
            a7 = FloatVector.fromArray(S16, v[7], off[7] + k).fma(x, a7);
            a8 = FloatVector.fromArray(S16, v[8], off[8] + k).fma(x, a8);
            a9 = FloatVector.fromArray(S16, v[9], off[9] + k).fma(x, a9);
            a10 = FloatVector.fromArray(S16, v[10], off[10] + k).fma(x, a10);
            a11 = FloatVector.fromArray(S16, v[11], off[11] + k).fma(x, a11);
            a12 = FloatVector.fromArray(S16, v[12], off[12] + k).fma(x, a12);
            a13 = FloatVector.fromArray(S16, v[13], off[13] + k).fma(x, a13);
            a14 = FloatVector.fromArray(S16, v[14], off[14] + k).fma(x, a14);
            a15 = FloatVector.fromArray(S16, v[15], off[15] + k).fma(x, a15);
        }
        reduce16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15).intoArray(out, 0);
        if (bound < n) {
            for (int i = 0; i < LANES; i++) {
                out[i] = tail(v[i], off[i], q, qOffset, n, out[i]);
            }
        }
    }

    /** Adds the elements past the last multiple of 16 to a lane sum, in order. */
    static float tail(float[] a, int aOffset, float[] b, int bOffset, int n, float s) {
        for (int k = n - n % LANES; k < n; k++) {
            s = Math.fma(a[aOffset + k], b[bOffset + k], s);
        }
        return s;
    }

    /** The halving-tree sum of {@code acc[offset .. offset+15]}. Modifies the array. */
    static float sumLanes(float[] acc, int offset) {
        for (int half = LANES / 2; half >= 1; half /= 2) {
            for (int l = 0; l < half; l++) {
                acc[offset + l] += acc[offset + l + half];
            }
        }
        return acc[offset];
    }

    /**
     * Lane l of the result is the halving-tree sum of the lanes of {@code a_l}: four levels of pairwise
     * transpose-and-add, 15 pair steps for 16 sums instead of 16 × 15 scalar additions.
     */
    static FloatVector reduce16(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, FloatVector a4, FloatVector a5,
                                FloatVector a6, FloatVector a7, FloatVector a8, FloatVector a9, FloatVector a10, FloatVector a11,
                                FloatVector a12, FloatVector a13, FloatVector a14, FloatVector a15) {
        FloatVector c0 = pair(a0, a8, ROT8, UPPER8);
        FloatVector c1 = pair(a1, a9, ROT8, UPPER8);
        FloatVector c2 = pair(a2, a10, ROT8, UPPER8);
        FloatVector c3 = pair(a3, a11, ROT8, UPPER8);
        FloatVector c4 = pair(a4, a12, ROT8, UPPER8);
        FloatVector c5 = pair(a5, a13, ROT8, UPPER8);
        FloatVector c6 = pair(a6, a14, ROT8, UPPER8);
        FloatVector c7 = pair(a7, a15, ROT8, UPPER8);
        FloatVector d0 = pair(c0, c4, ROT4, UPPER4);
        FloatVector d1 = pair(c1, c5, ROT4, UPPER4);
        FloatVector d2 = pair(c2, c6, ROT4, UPPER4);
        FloatVector d3 = pair(c3, c7, ROT4, UPPER4);
        FloatVector e0 = pair(d0, d2, ROT2, UPPER2);
        FloatVector e1 = pair(d1, d3, ROT2, UPPER2);
        return pair(e0, e1, ROT1, UPPER1);
    }

    /**
     * Within each group of 2·h lanes: lower h lanes ← p[l] + p[l+h], upper h lanes ← q[l-h] + q[l].
     * (Addition is commutative in IEEE arithmetic, so only the tree shape matters for the bits.)
     */
    private static FloatVector pair(FloatVector p, FloatVector q, VectorShuffle<Float> rot, VectorMask<Float> upper) {
        FloatVector low = p.blend(q.rearrange(rot), upper);
        FloatVector high = p.rearrange(rot).blend(q, upper);
        return low.add(high);
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
