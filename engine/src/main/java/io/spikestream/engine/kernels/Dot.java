package io.spikestream.engine.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one definition of a dot product used by every kernel, so that a value is the same bits whichever
 * kernel (matrix-matrix, matrix-vector, attention), thread count or CPU computes it:
 * <pre>
 *   acc[l] = fma chain over k = l, l+16, l+32, ... (k below the last multiple of 16)   for l = 0..15
 *   s      = ((acc[0] + acc[1]) + acc[2]) + ... + acc[15]
 *   s      = fma(a[k], b[k], s) for the remaining k, in order
 * </pre>
 * Sixteen logical lanes map onto one AVX-512 vector; other CPUs run the same arithmetic in another shape.
 */
public final class Dot {
    public static final int LANES = 16;
    static final VectorSpecies<Float> S16 = FloatVector.SPECIES_512;
    /** Vector code is used only where 16 float lanes are native; elsewhere the scalar form (same bits). */
    static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= LANES;

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
        float s = sumLanes(acc);
        for (int k = bound; k < n; k++) {
            s = Math.fma(a[aOffset + k], b[bOffset + k], s);
        }
        return s;
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
        float s = sumLanes(acc, 0);
        for (int k = bound; k < n; k++) {
            s = Math.fma(a[aOffset + k], b[bOffset + k], s);
        }
        return s;
    }

    /** Sum of the 16 lanes of a vector in lane order (no reduceLanes: its order is unspecified). */
    static float sumLanes(FloatVector v) {
        float[] tmp = new float[LANES];
        v.intoArray(tmp, 0);
        return sumLanes(tmp, 0);
    }

    /** Sum of {@code acc[offset .. offset+15]} in lane order. */
    static float sumLanes(float[] acc, int offset) {
        float s = acc[offset];
        for (int l = 1; l < LANES; l++) {
            s += acc[offset + l];
        }
        return s;
    }
}
