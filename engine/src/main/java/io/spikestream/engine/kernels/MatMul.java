package io.spikestream.engine.kernels;

import io.spikestream.engine.tensor.BF16Matrix;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.Q8Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y[t][o] = dot(W[o], x[t]) + bias[o]} for a chunk of n tokens: x is n×K, W is M×K ([out, in]),
 * y is n×M, all row-major.
 *
 * <p>Weights are streamed once per chunk: each block of 16 weight rows is widened to float32 once and
 * used for every token of the chunk, in 4×4 register tiles (4 rows × 4 tokens, 16 accumulators). Work is
 * split across threads by blocks of output rows. A small matrix is read from its float32 copy
 * ({@link Matrix#floats()}) and split by blocks of tokens as well. Every element follows {@link Dot}'s definition, so any
 * tile shape, thread count or chunk size yields the same bits.
 */
public final class MatMul {
    private static final int ROW_BLOCK = 16;
    private static final VectorSpecies<Float> S = Dot.S16;
    private static final int L = Dot.LANES;
    /** Tokens per work item when a matrix held as floats is split by tokens as well as rows (a multiple of 4). */
    private static final int TOKEN_PART = 64;

    private MatMul() {
    }

    public static void matmul(Matrix w, float[] bias, float[] x, int n, float[] y, Parallel parallel) {
        matmul(w, bias, x, 0, y, 0, n, parallel);
    }

    /**
     * The product for n tokens whose inputs start at row {@code xToken} of x and whose outputs go to rows from
     * {@code yToken} of y (a token range of a larger chunk; the bits do not depend on where a range starts).
     */
    public static void matmul(Matrix w, float[] bias, float[] x, int xToken, float[] y, int yToken, int n, Parallel parallel) {
        int m = w.rows();
        int k = w.cols();
        check(w, bias, x, xToken, n, y, yToken, m);
        int xOff = xToken * k;
        int yOff = yToken * m;
        int blocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
        // Small matrices are not worth a fork: about 64K multiply-adds per task at least.
        int grain = (int) Math.max(1, 65536L / Math.max(1L, (long) ROW_BLOCK * k * n));
        if (Q8MatVec.applies(w, n)) {
            parallel.forRange(blocks, grain, (b0, b1) -> Q8MatVec.rows((Q8Matrix) w, b0 * ROW_BLOCK, Math.min(m, b1 * ROW_BLOCK), bias,
                    x, xOff, n, y, m, yOff + b0 * ROW_BLOCK));
            return;
        }
        if (BF16MatVec.applies(w, n)) {
            parallel.forRange(blocks, grain, (b0, b1) -> BF16MatVec.rows((BF16Matrix) w, b0 * ROW_BLOCK, Math.min(m, b1 * ROW_BLOCK), bias,
                    x, xOff, n, y, m, yOff + b0 * ROW_BLOCK));
            return;
        }
        float[] floats = w.floats();
        if (floats != null && n > TOKEN_PART && parallel.threads() > 1) {
            // A small matrix has few row blocks: split the tokens too, so that a late thread still finds work.
            int tokenParts = (n + TOKEN_PART - 1) / TOKEN_PART;
            parallel.forRange(blocks * tokenParts, (i0, i1) -> {
                float[] lanes = new float[L * L];
                for (int i = i0; i < i1; i++) {
                    int r0 = i / tokenParts * ROW_BLOCK;
                    int t0 = i % tokenParts * TOKEN_PART;
                    block(floats, r0 * k, Math.min(ROW_BLOCK, m - r0), r0, bias, x, xOff, t0, Math.min(n, t0 + TOKEN_PART), k, y, m,
                            yOff + r0, lanes);
                }
            });
            return;
        }
        parallel.forRange(blocks, grain,
                (b0, b1) -> rows(w, b0 * ROW_BLOCK, Math.min(m, b1 * ROW_BLOCK), bias, x, xToken, n, y, m, yOff + b0 * ROW_BLOCK));
    }

    /**
     * Rows [rowStart, rowEnd) of the product on the calling thread, written to
     * {@code y[t * yStride + (o - rowStart) + yOffset]} (used to compute a vocabulary slice at a time).
     */
    public static void rows(Matrix w, int rowStart, int rowEnd, float[] bias, float[] x, int n, float[] y, int yStride,
                            int yOffset) {
        rows(w, rowStart, rowEnd, bias, x, 0, n, y, yStride, yOffset);
    }

    /** Like {@link #rows(Matrix, int, int, float[], float[], int, float[], int, int)} for n tokens from row {@code xToken} of x. */
    public static void rows(Matrix w, int rowStart, int rowEnd, float[] bias, float[] x, int xToken, int n, float[] y, int yStride,
                            int yOffset) {
        int k = w.cols();
        int xOff = xToken * k;
        if (BF16MatVec.applies(w, n)) {
            BF16MatVec.rows((BF16Matrix) w, rowStart, rowEnd, bias, x, xOff, n, y, yStride, yOffset);
            return;
        }
        float[] floats = w.floats();
        float[] panel = floats != null ? floats : new float[ROW_BLOCK * k];
        float[] lanes = new float[L * L];
        for (int r0 = rowStart; r0 < rowEnd; r0 += ROW_BLOCK) {
            int rows = Math.min(ROW_BLOCK, rowEnd - r0);
            if (floats == null) {
                w.widenRows(r0, rows, panel, 0);
            }
            block(panel, floats != null ? r0 * k : 0, rows, r0, bias, x, xOff, 0, n, k, y, yStride, yOffset + r0 - rowStart, lanes);
        }
    }

    private static void check(Matrix w, float[] bias, float[] x, int xToken, int n, float[] y, int yToken, int m) {
        if (bias != null && bias.length != m) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries for " + m + " rows");
        }
        if (xToken < 0 || yToken < 0 || x.length < ((long) xToken + n) * w.cols() || y.length < ((long) yToken + n) * m) {
            throw new IllegalArgumentException("buffers too small for tokens [" + xToken + ", " + (xToken + n) + ") of x ("
                    + x.length + " floats) and [" + yToken + ", " + (yToken + n) + ") of y (" + y.length + ")");
        }
    }

    /**
     * One widened block of {@code rows} weight rows (first row r0, at {@code panel[p0]}) against tokens [tStart, tEnd)
     * of the inputs at {@code x[xOff]}; token t's outputs start at {@code y[t * stride + col0]}.
     */
    private static void block(float[] panel, int p0, int rows, int r0, float[] bias, float[] x, int xOff, int tStart, int tEnd, int k,
                              float[] y, int stride, int col0, float[] lanes) {
        int t = tStart;
        if (Dot.VECTOR && rows == ROW_BLOCK && k % L == 0) {
            // A whole block without tails: its four tiles of 4 tokens go to y as four 16-wide rows.
            for (; t + 4 <= tEnd; t += 4) {
                for (int r = 0; r < ROW_BLOCK; r += 4) {
                    tile4x4(panel, p0 + r * k, x, xOff + t * k, k, lanes, r * 4);
                }
                storeBlock(lanes, y, t * stride + col0, stride, bias, r0);
            }
        }
        if (Dot.VECTOR) {
            for (; t + 4 <= tEnd; t += 4) {
                int r = 0;
                for (; r + 4 <= rows; r += 4) {
                    tile4x4(panel, p0 + r * k, x, xOff + t * k, k, lanes, 0);
                    if (k % L == 0) {
                        storeTile(lanes, y, t * stride + col0 + r, stride, bias, r0 + r);
                        continue;
                    }
                    for (int j = 0; j < 4; j++) {
                        for (int i = 0; i < 4; i++) {
                            float s = Dot.tail(panel, p0 + (r + i) * k, x, xOff + (t + j) * k, k, lanes[j * 4 + i]);
                            store(y, (t + j) * stride + col0, r + i, r0 + r + i, s, bias);
                        }
                    }
                }
                for (; r < rows; r++) {
                    for (int j = 0; j < 4; j++) {
                        store(y, (t + j) * stride + col0, r, r0 + r, Dot.dot(panel, p0 + r * k, x, xOff + (t + j) * k, k), bias);
                    }
                }
            }
        }
        for (; t < tEnd; t++) {
            int r = 0;
            if (Dot.VECTOR) {
                for (; r + 4 <= rows; r += 4) {
                    tile4x1(panel, p0 + r * k, x, xOff + t * k, k, lanes);
                    for (int i = 0; i < 4; i++) {
                        float s = Dot.tail(panel, p0 + (r + i) * k, x, xOff + t * k, k, Dot.sumLanes(lanes, i * L));
                        store(y, t * stride + col0, r + i, r0 + r + i, s, bias);
                    }
                }
            }
            for (; r < rows; r++) {
                store(y, t * stride + col0, r, r0 + r, Dot.dot(panel, p0 + r * k, x, xOff + t * k, k), bias);
            }
        }
    }

    /**
     * Four tiles' sums without tails (tile q at {@code lanes[16q]}, token j's four rows at lanes j·4 …), i.e. 16
     * rows × 4 tokens, to y plus the bias of rows o … o+15: a transpose of 4-lane groups (tile q's group j is
     * token j's rows 4q … 4q+3), two levels of blend and rotation, then one 16-wide row per token.
     */
    private static void storeBlock(float[] lanes, float[] y, int at, int stride, float[] bias, int o) {
        FloatVector v0 = FloatVector.fromArray(S, lanes, 0);
        FloatVector v1 = FloatVector.fromArray(S, lanes, L);
        FloatVector v2 = FloatVector.fromArray(S, lanes, 2 * L);
        FloatVector v3 = FloatVector.fromArray(S, lanes, 3 * L);
        // groups [a0 b0 a2 b2] and [a1 b1 a3 b3] of tiles a, b
        FloatVector t0 = v0.blend(v1.rearrange(Dot.ROT4), Dot.UPPER4);
        FloatVector t1 = v0.rearrange(Dot.ROT4).blend(v1, Dot.UPPER4);
        FloatVector t2 = v2.blend(v3.rearrange(Dot.ROT4), Dot.UPPER4);
        FloatVector t3 = v2.rearrange(Dot.ROT4).blend(v3, Dot.UPPER4);
        FloatVector w0 = t0.blend(t2.rearrange(Dot.ROT8), Dot.UPPER8);
        FloatVector w1 = t1.blend(t3.rearrange(Dot.ROT8), Dot.UPPER8);
        FloatVector w2 = t0.rearrange(Dot.ROT8).blend(t2, Dot.UPPER8);
        FloatVector w3 = t1.rearrange(Dot.ROT8).blend(t3, Dot.UPPER8);
        if (bias != null) {
            FloatVector b = FloatVector.fromArray(S, bias, o);
            w0 = w0.add(b);
            w1 = w1.add(b);
            w2 = w2.add(b);
            w3 = w3.add(b);
        }
        w0.intoArray(y, at);
        w1.intoArray(y, at + stride);
        w2.intoArray(y, at + 2 * stride);
        w3.intoArray(y, at + 3 * stride);
    }

    /** A tile's sums without tails (token j's four rows at lanes j·4 …) to y, plus the bias of rows o … o+3. */
    private static void storeTile(float[] lanes, float[] y, int at, int stride, float[] bias, int o) {
        for (int j = 0; j < 4; j++, at += stride) {
            if (bias == null) {
                y[at] = lanes[j * 4];
                y[at + 1] = lanes[j * 4 + 1];
                y[at + 2] = lanes[j * 4 + 2];
                y[at + 3] = lanes[j * 4 + 3];
            } else {
                y[at] = lanes[j * 4] + bias[o];
                y[at + 1] = lanes[j * 4 + 1] + bias[o + 1];
                y[at + 2] = lanes[j * 4 + 2] + bias[o + 2];
                y[at + 3] = lanes[j * 4 + 3] + bias[o + 3];
            }
        }
    }

    private static void store(float[] y, int base, int r, int o, float s, float[] bias) {
        y[base + r] = bias == null ? s : s + bias[o];
    }

    /** 4 weight rows × 4 tokens: writes the 16 dot products without their tails (row i, token j at j·4 + i) to {@code out[outOffset …]}. */
    private static void tile4x4(float[] w, int wOff, float[] x, int xOff, int k, float[] out, int outOffset) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int bound = k - k % L;
        for (int i = 0; i < bound; i += L) {
            FloatVector x0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(S, x, xOff + k + i);
            FloatVector x2 = FloatVector.fromArray(S, x, xOff + 2 * k + i);
            FloatVector x3 = FloatVector.fromArray(S, x, xOff + 3 * k + i);
            FloatVector w0 = FloatVector.fromArray(S, w, wOff + i);
            a00 = w0.fma(x0, a00);
            a01 = w0.fma(x1, a01);
            a02 = w0.fma(x2, a02);
            a03 = w0.fma(x3, a03);
            FloatVector w1 = FloatVector.fromArray(S, w, wOff + k + i);
            a10 = w1.fma(x0, a10);
            a11 = w1.fma(x1, a11);
            a12 = w1.fma(x2, a12);
            a13 = w1.fma(x3, a13);
            FloatVector w2 = FloatVector.fromArray(S, w, wOff + 2 * k + i);
            a20 = w2.fma(x0, a20);
            a21 = w2.fma(x1, a21);
            a22 = w2.fma(x2, a22);
            a23 = w2.fma(x3, a23);
            FloatVector w3 = FloatVector.fromArray(S, w, wOff + 3 * k + i);
            a30 = w3.fma(x0, a30);
            a31 = w3.fma(x1, a31);
            a32 = w3.fma(x2, a32);
            a33 = w3.fma(x3, a33);
        }
        // The 16 halving-tree sums at once, a transpose-and-add network: level h pairs two accumulators A, B
        // into one vector whose low h lanes of each 2h-group hold A's pair sums and whose high h lanes hold B's
        // (blend, blend, one rotation, add). The accumulators enter in token-major order, so lane j·4 + i ends
        // as row i of token j. Written out in place: C2 boxes vectors passed to a method it does not inline.
        FloatVector c0 = a00.blend(a02, Dot.UPPER8).add(a02.blend(a00, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c1 = a10.blend(a12, Dot.UPPER8).add(a12.blend(a10, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c2 = a20.blend(a22, Dot.UPPER8).add(a22.blend(a20, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c3 = a30.blend(a32, Dot.UPPER8).add(a32.blend(a30, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c4 = a01.blend(a03, Dot.UPPER8).add(a03.blend(a01, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c5 = a11.blend(a13, Dot.UPPER8).add(a13.blend(a11, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c6 = a21.blend(a23, Dot.UPPER8).add(a23.blend(a21, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector c7 = a31.blend(a33, Dot.UPPER8).add(a33.blend(a31, Dot.UPPER8).rearrange(Dot.ROT8));
        FloatVector d0 = c0.blend(c4, Dot.UPPER4).add(c4.blend(c0, Dot.UPPER4).rearrange(Dot.ROT4));
        FloatVector d1 = c1.blend(c5, Dot.UPPER4).add(c5.blend(c1, Dot.UPPER4).rearrange(Dot.ROT4));
        FloatVector d2 = c2.blend(c6, Dot.UPPER4).add(c6.blend(c2, Dot.UPPER4).rearrange(Dot.ROT4));
        FloatVector d3 = c3.blend(c7, Dot.UPPER4).add(c7.blend(c3, Dot.UPPER4).rearrange(Dot.ROT4));
        FloatVector e0 = d0.blend(d2, Dot.UPPER2).add(d2.blend(d0, Dot.UPPER2).rearrange(Dot.ROT2));
        FloatVector e1 = d1.blend(d3, Dot.UPPER2).add(d3.blend(d1, Dot.UPPER2).rearrange(Dot.ROT2));
        e0.blend(e1, Dot.UPPER1).add(e1.blend(e0, Dot.UPPER1).rearrange(Dot.ROT1)).intoArray(out, outOffset);
    }

    /** Accumulators for 4 weight rows × 1 token (decode): four independent chains. */
    private static void tile4x1(float[] w, int wOff, float[] x, int xOff, int k, float[] out) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int bound = k - k % L;
        for (int i = 0; i < bound; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
            a0 = FloatVector.fromArray(S, w, wOff + i).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, wOff + k + i).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, wOff + 2 * k + i).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, wOff + 3 * k + i).fma(xv, a3);
        }
        a0.intoArray(out, 0);
        a1.intoArray(out, L);
        a2.intoArray(out, 2 * L);
        a3.intoArray(out, 3 * L);
    }
}
