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
 * {@link #dot16} sums sixteen accumulators at once with the same tree (a transpose-and-add network),
 * which is what makes attention over many keys cheap.
 */
public final class Dot {
    public static final int LANES = 16;
    static final VectorSpecies<Float> S16 = FloatVector.SPECIES_512;
    /** Vector code is used only where 16 float lanes are native; elsewhere the scalar form (same bits). */
    static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= LANES;

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
        dot16(q, qOffset, v, off, 0, n, out);
    }

    /** {@link #dot16(float[], int, float[][], int[], int, float[])} with the 16 vectors at {@code v[base..base+15]}. */
    public static void dot16(float[] q, int qOffset, float[][] vs, int[] offs, int base, int n, float[] out) {
        if (!VECTOR) {
            for (int i = 0; i < LANES; i++) {
                out[i] = dotScalar(q, qOffset, vs[base + i], offs[base + i], n);
            }
            return;
        }
        float[] v0 = vs[base], v1 = vs[base + 1], v2 = vs[base + 2], v3 = vs[base + 3];
        float[] v4 = vs[base + 4], v5 = vs[base + 5], v6 = vs[base + 6], v7 = vs[base + 7];
        float[] v8 = vs[base + 8], v9 = vs[base + 9], v10 = vs[base + 10], v11 = vs[base + 11];
        float[] v12 = vs[base + 12], v13 = vs[base + 13], v14 = vs[base + 14], v15 = vs[base + 15];
        int o0 = offs[base], o1 = offs[base + 1], o2 = offs[base + 2], o3 = offs[base + 3];
        int o4 = offs[base + 4], o5 = offs[base + 5], o6 = offs[base + 6], o7 = offs[base + 7];
        int o8 = offs[base + 8], o9 = offs[base + 9], o10 = offs[base + 10], o11 = offs[base + 11];
        int o12 = offs[base + 12], o13 = offs[base + 13], o14 = offs[base + 14], o15 = offs[base + 15];
        FloatVector a0 = FloatVector.zero(S16), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        int bound = n - n % LANES;
        for (int k = 0; k < bound; k += LANES) {
            FloatVector x = FloatVector.fromArray(S16, q, qOffset + k);
            a0 = FloatVector.fromArray(S16, v0, o0 + k).fma(x, a0);
            a1 = FloatVector.fromArray(S16, v1, o1 + k).fma(x, a1);
            a2 = FloatVector.fromArray(S16, v2, o2 + k).fma(x, a2);
            a3 = FloatVector.fromArray(S16, v3, o3 + k).fma(x, a3);
            a4 = FloatVector.fromArray(S16, v4, o4 + k).fma(x, a4);
            a5 = FloatVector.fromArray(S16, v5, o5 + k).fma(x, a5);
            a6 = FloatVector.fromArray(S16, v6, o6 + k).fma(x, a6);
            a7 = FloatVector.fromArray(S16, v7, o7 + k).fma(x, a7);
            a8 = FloatVector.fromArray(S16, v8, o8 + k).fma(x, a8);
            a9 = FloatVector.fromArray(S16, v9, o9 + k).fma(x, a9);
            a10 = FloatVector.fromArray(S16, v10, o10 + k).fma(x, a10);
            a11 = FloatVector.fromArray(S16, v11, o11 + k).fma(x, a11);
            a12 = FloatVector.fromArray(S16, v12, o12 + k).fma(x, a12);
            a13 = FloatVector.fromArray(S16, v13, o13 + k).fma(x, a13);
            a14 = FloatVector.fromArray(S16, v14, o14 + k).fma(x, a14);
            a15 = FloatVector.fromArray(S16, v15, o15 + k).fma(x, a15);
        }
        // The halving tree for all 16 at once: level h combines lanes l and l+h of two accumulators into one
        // vector (low h lanes from the first, high h lanes from the second of each 2h-group). Written out
        // in place because C2 boxes vectors passed to a method it does not inline.
        FloatVector c0 = a0.blend(a8.rearrange(ROT8), UPPER8).add(a0.rearrange(ROT8).blend(a8, UPPER8));
        FloatVector c1 = a1.blend(a9.rearrange(ROT8), UPPER8).add(a1.rearrange(ROT8).blend(a9, UPPER8));
        FloatVector c2 = a2.blend(a10.rearrange(ROT8), UPPER8).add(a2.rearrange(ROT8).blend(a10, UPPER8));
        FloatVector c3 = a3.blend(a11.rearrange(ROT8), UPPER8).add(a3.rearrange(ROT8).blend(a11, UPPER8));
        FloatVector c4 = a4.blend(a12.rearrange(ROT8), UPPER8).add(a4.rearrange(ROT8).blend(a12, UPPER8));
        FloatVector c5 = a5.blend(a13.rearrange(ROT8), UPPER8).add(a5.rearrange(ROT8).blend(a13, UPPER8));
        FloatVector c6 = a6.blend(a14.rearrange(ROT8), UPPER8).add(a6.rearrange(ROT8).blend(a14, UPPER8));
        FloatVector c7 = a7.blend(a15.rearrange(ROT8), UPPER8).add(a7.rearrange(ROT8).blend(a15, UPPER8));
        FloatVector d0 = c0.blend(c4.rearrange(ROT4), UPPER4).add(c0.rearrange(ROT4).blend(c4, UPPER4));
        FloatVector d1 = c1.blend(c5.rearrange(ROT4), UPPER4).add(c1.rearrange(ROT4).blend(c5, UPPER4));
        FloatVector d2 = c2.blend(c6.rearrange(ROT4), UPPER4).add(c2.rearrange(ROT4).blend(c6, UPPER4));
        FloatVector d3 = c3.blend(c7.rearrange(ROT4), UPPER4).add(c3.rearrange(ROT4).blend(c7, UPPER4));
        FloatVector e0 = d0.blend(d2.rearrange(ROT2), UPPER2).add(d0.rearrange(ROT2).blend(d2, UPPER2));
        FloatVector e1 = d1.blend(d3.rearrange(ROT2), UPPER2).add(d1.rearrange(ROT2).blend(d3, UPPER2));
        e0.blend(e1.rearrange(ROT1), UPPER1).add(e0.rearrange(ROT1).blend(e1, UPPER1)).intoArray(out, 0);
        if (bound < n) {
            for (int i = 0; i < LANES; i++) {
                out[i] = tail(vs[base + i], offs[base + i], q, qOffset, n, out[i]);
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
