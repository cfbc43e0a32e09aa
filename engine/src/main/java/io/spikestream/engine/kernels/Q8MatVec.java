package io.spikestream.engine.kernels;

import io.spikestream.engine.tensor.MappedVectors;
import io.spikestream.engine.tensor.Q8Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;


/**
 * Decode (a few tokens) against a weight-only int8 matrix, reading the codes directly instead of widening
 * rows into a panel first. Each weight is widened to exactly the float {@link Q8Matrix#widenRow} gives
 * (code · scale) and every output follows {@link Dot}'s definition, so the bits equal {@link MatMul}'s.
 */
final class Q8MatVec {
    private static final VectorSpecies<Float> F = Dot.S16;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F8 = Dot.S8;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int L = Dot.LANES;
    /** Chunks of at most this many tokens take this path. */
    static final int MAX_TOKENS = 3;

    private Q8MatVec() {
    }

    /** Only where every row is whole vectors in whole groups (groupSize a multiple of 16): then there is no tail. */
    static boolean applies(Object w, int n) {
        return (Dot.VECTOR || Dot.VECTOR8) && n <= MAX_TOKENS && w instanceof Q8Matrix q && q.groupSize() % L == 0;
    }

    /** Rows [r0, r1) for the n tokens of x; y[t][o] as in {@link MatMul#matmul}. */
    static void rows(Q8Matrix w, int r0, int r1, float[] bias, float[] x, int xOffset, int n, float[] y, int yStride, int yOffset) {
        int k = w.cols();
        float[] lanes = new float[4 * L];
        int[] vg = vectorGroups(w);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            for (int t = 0; t < n; t++) {
                if (Dot.VECTOR) {
                    tile4(w, r, x, xOffset + t * k, lanes, vg);
                } else {
                    tile4x8(w, r, x, xOffset + t * k, lanes, vg);
                }
                for (int i = 0; i < 4; i++) {
                    float s = Dot.sumLanes(lanes, i * L); // no tail: the columns are whole vectors
                    y[t * yStride + yOffset + r + i - r0] = bias == null ? s : s + bias[r + i];
                }
            }
        }
        for (; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                if (Dot.VECTOR) {
                    tile1(w, r, x, xOffset + t * k, lanes, vg);
                } else {
                    tile1x8(w, r, x, xOffset + t * k, lanes, vg);
                }
                float s = Dot.sumLanes(lanes, 0);
                y[t * yStride + yOffset + r - r0] = bias == null ? s : s + bias[r];
            }
        }
    }

    /** The group of each 16-column vector of a row (groups hold whole vectors). */
    private static int[] vectorGroups(Q8Matrix w) {
        int[] g = new int[w.cols() / L];
        for (int v = 0; v < g.length; v++) {
            g[v] = v * L / w.groupSize();
        }
        return g;
    }

    private static void tile4(Q8Matrix w, int r, float[] x, int xOff, float[] out, int[] vg) {
        int groups = w.cols() / w.groupSize();
        MappedVectors.Region p0 = w.codeRegion(r);
        MappedVectors.Region p1 = w.codeRegion(r + 1);
        MappedVectors.Region p2 = w.codeRegion(r + 2);
        MappedVectors.Region p3 = w.codeRegion(r + 3);
        int o0 = w.rowOffset(r);
        int o1 = w.rowOffset(r + 1);
        int o2 = w.rowOffset(r + 2);
        int o3 = w.rowOffset(r + 3);
        float[] scales = w.scales();
        int s0 = r * groups;
        int s1 = s0 + groups;
        int s2 = s1 + groups;
        int s3 = s2 + groups;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int v = 0; v < vg.length; v++) {
            int c = v * L;
            int g = vg[v];
            FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
            FloatVector w0 = ((FloatVector) MappedVectors.bytes(B, p0, o0 + c).castShape(F, 0))
                    .mul(scales[s0 + g]);
            FloatVector w1 = ((FloatVector) MappedVectors.bytes(B, p1, o1 + c).castShape(F, 0))
                    .mul(scales[s1 + g]);
            FloatVector w2 = ((FloatVector) MappedVectors.bytes(B, p2, o2 + c).castShape(F, 0))
                    .mul(scales[s2 + g]);
            FloatVector w3 = ((FloatVector) MappedVectors.bytes(B, p3, o3 + c).castShape(F, 0))
                    .mul(scales[s3 + g]);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            a2 = w2.fma(xv, a2);
            a3 = w3.fma(xv, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, L);
        a2.intoArray(out, 2 * L);
        a3.intoArray(out, 3 * L);
    }

    /** {@link #tile4} on 8-lane vectors: each row's sixteen lanes as lanes 0–7 and 8–15, written out in the 16-lane layout. */
    private static void tile4x8(Q8Matrix w, int r, float[] x, int xOff, float[] out, int[] vg) {
        int groups = w.cols() / w.groupSize();
        MappedVectors.Region p0 = w.codeRegion(r);
        MappedVectors.Region p1 = w.codeRegion(r + 1);
        MappedVectors.Region p2 = w.codeRegion(r + 2);
        MappedVectors.Region p3 = w.codeRegion(r + 3);
        int o0 = w.rowOffset(r);
        int o1 = w.rowOffset(r + 1);
        int o2 = w.rowOffset(r + 2);
        int o3 = w.rowOffset(r + 3);
        float[] scales = w.scales();
        int s0 = r * groups;
        FloatVector l0 = FloatVector.zero(F8), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
        for (int v = 0; v < vg.length; v++) {
            int c = v * L;
            int g = vg[v];
            FloatVector xl = FloatVector.fromArray(F8, x, xOff + c);
            FloatVector xh = FloatVector.fromArray(F8, x, xOff + c + 8);
            float a0 = scales[s0 + g];
            float a1 = scales[s0 + groups + g];
            float a2 = scales[s0 + 2 * groups + g];
            float a3 = scales[s0 + 3 * groups + g];
            l0 = widen8(p0, o0 + c).mul(a0).fma(xl, l0);
            h0 = widen8(p0, o0 + c + 8).mul(a0).fma(xh, h0);
            l1 = widen8(p1, o1 + c).mul(a1).fma(xl, l1);
            h1 = widen8(p1, o1 + c + 8).mul(a1).fma(xh, h1);
            l2 = widen8(p2, o2 + c).mul(a2).fma(xl, l2);
            h2 = widen8(p2, o2 + c + 8).mul(a2).fma(xh, h2);
            l3 = widen8(p3, o3 + c).mul(a3).fma(xl, l3);
            h3 = widen8(p3, o3 + c + 8).mul(a3).fma(xh, h3);
        }
        l0.intoArray(out, 0);
        h0.intoArray(out, 8);
        l1.intoArray(out, L);
        h1.intoArray(out, L + 8);
        l2.intoArray(out, 2 * L);
        h2.intoArray(out, 2 * L + 8);
        l3.intoArray(out, 3 * L);
        h3.intoArray(out, 3 * L + 8);
    }

    private static void tile1x8(Q8Matrix w, int r, float[] x, int xOff, float[] out, int[] vg) {
        MappedVectors.Region p = w.codeRegion(r);
        int o = w.rowOffset(r);
        float[] scales = w.scales();
        int s0 = r * (w.cols() / w.groupSize());
        FloatVector lo = FloatVector.zero(F8);
        FloatVector hi = lo;
        for (int v = 0; v < vg.length; v++) {
            int c = v * L;
            float a = scales[s0 + vg[v]];
            lo = widen8(p, o + c).mul(a).fma(FloatVector.fromArray(F8, x, xOff + c), lo);
            hi = widen8(p, o + c + 8).mul(a).fma(FloatVector.fromArray(F8, x, xOff + c + 8), hi);
        }
        lo.intoArray(out, 0);
        hi.intoArray(out, 8);
    }

    /** Eight int8 codes as floats. */
    private static FloatVector widen8(MappedVectors.Region page, int at) {
        return (FloatVector) MappedVectors.bytes(B8, page, at).castShape(F8, 0);
    }

    private static void tile1(Q8Matrix w, int r, float[] x, int xOff, float[] out, int[] vg) {
        MappedVectors.Region p = w.codeRegion(r);
        int o = w.rowOffset(r);
        float[] scales = w.scales();
        int s0 = r * (w.cols() / w.groupSize());
        FloatVector a = FloatVector.zero(F);
        for (int v = 0; v < vg.length; v++) {
            int c = v * L;
            FloatVector wv = ((FloatVector) MappedVectors.bytes(B, p, o + c).castShape(F, 0))
                    .mul(scales[s0 + vg[v]]);
            a = wv.fma(FloatVector.fromArray(F, x, xOff + c), a);
        }
        a.intoArray(out, 0);
    }
}
