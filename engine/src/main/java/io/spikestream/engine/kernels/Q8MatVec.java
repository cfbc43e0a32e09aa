package io.spikestream.engine.kernels;

import io.spikestream.engine.tensor.MappedVectors;
import io.spikestream.engine.tensor.Q8Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;

/**
 * Decode (a few tokens) against a weight-only int8 matrix, reading the codes directly instead of widening
 * rows into a panel first. Each weight is widened to exactly the float {@link Q8Matrix#widenRow} gives
 * (code · scale) and every output follows {@link Dot}'s definition, so the bits equal {@link MatMul}'s.
 */
final class Q8MatVec {
    private static final VectorSpecies<Float> F = Dot.S16;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int L = Dot.LANES;
    /** Chunks of at most this many tokens take this path. */
    static final int MAX_TOKENS = 3;

    private Q8MatVec() {
    }

    /** Only where every row is whole vectors in whole groups (groupSize a multiple of 16): then there is no tail. */
    static boolean applies(Object w, int n) {
        return Dot.VECTOR && n <= MAX_TOKENS && w instanceof Q8Matrix q && q.groupSize() % L == 0;
    }

    /** Rows [r0, r1) for the n tokens of x; y[t][o] as in {@link MatMul#matmul}. */
    static void rows(Q8Matrix w, int r0, int r1, float[] bias, float[] x, int xOffset, int n, float[] y, int yStride, int yOffset) {
        int k = w.cols();
        float[] lanes = new float[4 * L];
        int[] vg = vectorGroups(w);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            for (int t = 0; t < n; t++) {
                tile4(w, r, x, xOffset + t * k, lanes, vg);
                for (int i = 0; i < 4; i++) {
                    float s = Dot.sumLanes(lanes, i * L); // no tail: the columns are whole vectors
                    y[t * yStride + yOffset + r + i - r0] = bias == null ? s : s + bias[r + i];
                }
            }
        }
        for (; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                tile1(w, r, x, xOffset + t * k, lanes, vg);
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
        ByteBuffer p0 = w.codePage(r);
        ByteBuffer p1 = w.codePage(r + 1);
        ByteBuffer p2 = w.codePage(r + 2);
        ByteBuffer p3 = w.codePage(r + 3);
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

    private static void tile1(Q8Matrix w, int r, float[] x, int xOff, float[] out, int[] vg) {
        ByteBuffer p = w.codePage(r);
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
