package io.spikestream.trainer.float32;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C[m×n] += A[m×k]·B[k×n] on row-major float arrays with leading dimensions: the one product the float32
 * training passes are made of (forward x·Wᵀ with a transposed copy of W, backward dY·W and dYᵀ·X). Every
 * element of C is a single fused multiply-add chain over k in order, started from its old value, in vector
 * lanes and scalar tails alike: the bits do not depend on the tiling, the shapes around it or the thread that
 * runs it. Lanes run along n (no horizontal sums); tiles of 4 rows × 4 vectors (16 accumulators, 4 rows of B
 * and a broadcast: AVX-512's 32 registers hold them), else 4 × 3, 4 × 2 or 4 × 1 as n leaves vectors.
 */
public final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private Gemm() {
    }

    public static void mulAdd(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int k, int n) {
        mulAdd(a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, m, k, n);
    }

    /**
     * The same with A's element (i, p) at {@code a[aOff + i·ars + p·acs]}: a transposed operand (dYᵀ, Pᵀ) is
     * read in place (its elements are broadcast one by one, so the stride costs nothing).
     */
    public static void mulAdd(float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m,
            int k, int n) {
        int j = 0;
        int vectors = n / L;
        while (vectors > 0) {
            // 4 vectors wide when they divide n (16 accumulators: AVX-512 has 32 registers, and C2 uses them: measured
            // 92-103 GFLOP/s on one core against 80-85 for 4 x 2), else 3, else 2 or 1
            int width = vectors % 4 == 0 ? 4 : vectors == 2 ? 2 : vectors >= 3 ? 3 : 1;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                int ai = aOff + i * ars;
                int ci = cOff + i * ldc + j;
                switch (width) {
                    case 4 -> tile4x4(a, ai, ars, acs, b, bOff + j, ldb, c, ci, ldc, k);
                    case 3 -> tile4x3(a, ai, ars, acs, b, bOff + j, ldb, c, ci, ldc, k);
                    case 2 -> tile4x2(a, ai, ars, acs, b, bOff + j, ldb, c, ci, ldc, k);
                    default -> tile4x1(a, ai, ars, acs, b, bOff + j, ldb, c, ci, ldc, k);
                }
            }
            for (; i < m; i++) {
                row(a, aOff + i * ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, k, width);
            }
            j += width * L;
            vectors -= width;
        }
        for (; j < n; j++) {
            for (int i = 0; i < m; i++) {
                int ai = aOff + i * ars;
                float s = c[cOff + i * ldc + j];
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a[ai + p * acs], b[bOff + p * ldb + j], s);
                }
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    private static void tile4x4(float[] a, int a0, int ars, int acs, float[] b, int b0, int ldb, float[] c, int c0, int ldc, int k) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector x02 = FloatVector.fromArray(S, c, c0 + 2 * L), x03 = FloatVector.fromArray(S, c, c0 + 3 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector x12 = FloatVector.fromArray(S, c, c1 + 2 * L), x13 = FloatVector.fromArray(S, c, c1 + 3 * L);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector x22 = FloatVector.fromArray(S, c, c2 + 2 * L), x23 = FloatVector.fromArray(S, c, c2 + 3 * L);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L);
        FloatVector x32 = FloatVector.fromArray(S, c, c3 + 2 * L), x33 = FloatVector.fromArray(S, c, c3 + 3 * L);
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * ldb;
            int ap = p * acs;
            FloatVector y0 = FloatVector.fromArray(S, b, bp);
            FloatVector y1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector y2 = FloatVector.fromArray(S, b, bp + 2 * L);
            FloatVector y3 = FloatVector.fromArray(S, b, bp + 3 * L);
            FloatVector v = FloatVector.broadcast(S, a[a0 + ap]);
            x00 = v.fma(y0, x00);
            x01 = v.fma(y1, x01);
            x02 = v.fma(y2, x02);
            x03 = v.fma(y3, x03);
            v = FloatVector.broadcast(S, a[a1 + ap]);
            x10 = v.fma(y0, x10);
            x11 = v.fma(y1, x11);
            x12 = v.fma(y2, x12);
            x13 = v.fma(y3, x13);
            v = FloatVector.broadcast(S, a[a2 + ap]);
            x20 = v.fma(y0, x20);
            x21 = v.fma(y1, x21);
            x22 = v.fma(y2, x22);
            x23 = v.fma(y3, x23);
            v = FloatVector.broadcast(S, a[a3 + ap]);
            x30 = v.fma(y0, x30);
            x31 = v.fma(y1, x31);
            x32 = v.fma(y2, x32);
            x33 = v.fma(y3, x33);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x02.intoArray(c, c0 + 2 * L);
        x03.intoArray(c, c0 + 3 * L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x12.intoArray(c, c1 + 2 * L);
        x13.intoArray(c, c1 + 3 * L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x22.intoArray(c, c2 + 2 * L);
        x23.intoArray(c, c2 + 3 * L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
        x32.intoArray(c, c3 + 2 * L);
        x33.intoArray(c, c3 + 3 * L);
    }

    private static void tile4x3(float[] a, int a0, int ars, int acs, float[] b, int b0, int ldb, float[] c, int c0, int ldc, int k) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L), x02 = FloatVector.fromArray(S, c, c0 + 2 * L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L), x12 = FloatVector.fromArray(S, c, c1 + 2 * L);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L), x22 = FloatVector.fromArray(S, c, c2 + 2 * L);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L), x32 = FloatVector.fromArray(S, c, c3 + 2 * L);
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * ldb;
            int ap = p * acs;
            FloatVector y0 = FloatVector.fromArray(S, b, bp);
            FloatVector y1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector y2 = FloatVector.fromArray(S, b, bp + 2 * L);
            FloatVector v = FloatVector.broadcast(S, a[a0 + ap]);
            x00 = v.fma(y0, x00);
            x01 = v.fma(y1, x01);
            x02 = v.fma(y2, x02);
            v = FloatVector.broadcast(S, a[a1 + ap]);
            x10 = v.fma(y0, x10);
            x11 = v.fma(y1, x11);
            x12 = v.fma(y2, x12);
            v = FloatVector.broadcast(S, a[a2 + ap]);
            x20 = v.fma(y0, x20);
            x21 = v.fma(y1, x21);
            x22 = v.fma(y2, x22);
            v = FloatVector.broadcast(S, a[a3 + ap]);
            x30 = v.fma(y0, x30);
            x31 = v.fma(y1, x31);
            x32 = v.fma(y2, x32);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x02.intoArray(c, c0 + 2 * L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x12.intoArray(c, c1 + 2 * L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x22.intoArray(c, c2 + 2 * L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
        x32.intoArray(c, c3 + 2 * L);
    }

    private static void tile4x2(float[] a, int a0, int ars, int acs, float[] b, int b0, int ldb, float[] c, int c0, int ldc, int k) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + L);
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int p = 0; p < k; p++) {
            int bp = b0 + p * ldb;
            int ap = p * acs;
            FloatVector y0 = FloatVector.fromArray(S, b, bp);
            FloatVector y1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector v = FloatVector.broadcast(S, a[a0 + ap]);
            x00 = v.fma(y0, x00);
            x01 = v.fma(y1, x01);
            v = FloatVector.broadcast(S, a[a1 + ap]);
            x10 = v.fma(y0, x10);
            x11 = v.fma(y1, x11);
            v = FloatVector.broadcast(S, a[a2 + ap]);
            x20 = v.fma(y0, x20);
            x21 = v.fma(y1, x21);
            v = FloatVector.broadcast(S, a[a3 + ap]);
            x30 = v.fma(y0, x30);
            x31 = v.fma(y1, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + L);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + L);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + L);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + L);
    }

    private static void tile4x1(float[] a, int a0, int ars, int acs, float[] b, int b0, int ldb, float[] c, int c0, int ldc, int k) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x0 = FloatVector.fromArray(S, c, c0), x1 = FloatVector.fromArray(S, c, c1);
        FloatVector x2 = FloatVector.fromArray(S, c, c2), x3 = FloatVector.fromArray(S, c, c3);
        int a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int p = 0; p < k; p++) {
            int ap = p * acs;
            FloatVector y = FloatVector.fromArray(S, b, b0 + p * ldb);
            x0 = FloatVector.broadcast(S, a[a0 + ap]).fma(y, x0);
            x1 = FloatVector.broadcast(S, a[a1 + ap]).fma(y, x1);
            x2 = FloatVector.broadcast(S, a[a2 + ap]).fma(y, x2);
            x3 = FloatVector.broadcast(S, a[a3 + ap]).fma(y, x3);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c1);
        x2.intoArray(c, c2);
        x3.intoArray(c, c3);
    }

    /** One row of C, {@code vectors} vectors wide. */
    private static void row(float[] a, int a0, int acs, float[] b, int b0, int ldb, float[] c, int c0, int k, int vectors) {
        for (int v = 0; v < vectors; v++) {
            FloatVector x = FloatVector.fromArray(S, c, c0 + v * L);
            for (int p = 0; p < k; p++) {
                x = FloatVector.broadcast(S, a[a0 + p * acs]).fma(FloatVector.fromArray(S, b, b0 + p * ldb + v * L), x);
            }
            x.intoArray(c, c0 + v * L);
        }
    }

    /** dst[c][r] = src[r][c] for a rows×cols block: a B operand a product needs the other way round. */
    public static float[] transpose(float[] src, int srcOff, int ld, int rows, int cols) {
        return transpose(src, srcOff, ld, rows, cols, new float[rows * cols]);
    }

    /** {@link #transpose(float[], int, int, int, int)} into {@code dst}. */
    public static float[] transpose(float[] src, int srcOff, int ld, int rows, int cols, float[] dst) {
        for (int r = 0; r < rows; r++) {
            int s = srcOff + r * ld;
            for (int col = 0; col < cols; col++) {
                dst[col * rows + r] = src[s + col];
            }
        }
        return dst;
    }
}
