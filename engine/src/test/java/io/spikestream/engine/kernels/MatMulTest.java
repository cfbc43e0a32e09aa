package io.spikestream.engine.kernels;

import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.Q8Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class MatMulTest {

    /**
     * Every tile shape, thread count and token count gives exactly Dot's value for every element: small
     * matrices (read from their float copy, split by tokens past 64) and one above the copy's limit.
     */
    @ParameterizedTest
    @CsvSource({"1,16,16", "3,37,19", "4,64,64", "5,33,100", "9,50,96", "17,130,257", "130,40,48", "203,33,64", "66,17,15",
            "5,1030,1024", "1,1030,1024", "2,37,32", "3,130,48", "1,5,16", "2,1030,1024"})
    void everyElementIsTheDefinedDotProduct(int n, int m, int k) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + m);
        float[] w = DotTest.random(rnd, m * k);
        float[] x = DotTest.random(rnd, n * k);
        float[] bias = DotTest.random(rnd, m);
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            Matrix matrix = Matrix.fromFloats(dtype, m, k, w);
            float[] widened = new float[m * k];
            matrix.widenRows(0, m, widened, 0);
            for (int threads : new int[] {1, 2, 3}) {
                float[] y = new float[n * m];
                try (Parallel p = new Parallel(threads)) {
                    MatMul.matmul(matrix, bias, x, n, y, p);
                }
                for (int t = 0; t < n; t++) {
                    for (int o = 0; o < m; o++) {
                        float expected = Dot.dotScalar(widened, o * k, x, t * k, k) + bias[o];
                        assertThat(Float.floatToRawIntBits(y[t * m + o]))
                                .as("%s threads=%d t=%d o=%d", dtype, threads, t, o)
                                .isEqualTo(Float.floatToRawIntBits(expected));
                    }
                }
            }
        }
    }

    /**
     * Tokens [from, from + n) of a larger x into rows from {@code to} of a larger y (a block of a pass, as a
     * small model's threads take them): Dot's value for every element, with and without a bias, and nothing
     * outside the rows written.
     */
    @ParameterizedTest
    @CsvSource({"13,41,5,48,64", "0,4,0,16,16", "3,37,60,37,19", "64,70,1,33,128"})
    void aRangeOfTokensIsTheDefinedDotProductAtItsRows(int from, int n, int to, int m, int k) {
        SplittableRandom rnd = new SplittableRandom(from * 131L + n);
        float[] w = DotTest.random(rnd, m * k);
        float[] x = DotTest.random(rnd, (from + n + 3) * k);
        float[] bias = DotTest.random(rnd, m);
        Matrix matrix = Matrix.fromFloats(DType.BF16, m, k, w);
        float[] widened = new float[m * k];
        matrix.widenRows(0, m, widened, 0);
        for (float[] b : new float[][] {null, bias}) {
            for (Parallel p : new Parallel[] {Parallel.SERIAL, new Parallel(2)}) {
                float[] y = new float[(to + n + 2) * m];
                java.util.Arrays.fill(y, Float.NaN);
                MatMul.matmul(matrix, b, x, from, y, to, n, p);
                for (int row = 0; row < y.length / m; row++) {
                    for (int o = 0; o < m; o++) {
                        int t = row - to + from;
                        float dot = row < to || row >= to + n ? Float.NaN : Dot.dotScalar(widened, o * k, x, t * k, k);
                        float expected = b == null ? dot : dot + b[o];
                        assertThat(Float.floatToRawIntBits(y[row * m + o])).as("bias=%s row=%d o=%d", b != null, row, o)
                                .isEqualTo(Float.floatToRawIntBits(expected));
                    }
                }
                if (p != Parallel.SERIAL) {
                    p.close();
                }
            }
        }
    }

    /**
     * A slice of rows for a few tokens from a row of x ({@link MatMul#rows}, as lm_head is computed): bf16 decode
     * reads the weights directly, in registers, and must give Dot's value of the widened weights, bit for bit.
     */
    @ParameterizedTest
    @CsvSource({"1,0,130,48", "2,3,70,64", "3,13,37,1024", "1,1,1030,1024", "4,5,33,32"})
    void aSliceOfRowsForAFewTokensIsTheDefinedDotProduct(int n, int rowStart, int rowEnd, int k) {
        int m = rowEnd + 3;
        SplittableRandom rnd = new SplittableRandom(n * 7L + k);
        float[] w = DotTest.random(rnd, m * k);
        float[] x = DotTest.random(rnd, (n + 2) * k);
        float[] bias = DotTest.random(rnd, m);
        Matrix matrix = Matrix.fromFloats(DType.BF16, m, k, w);
        float[] widened = new float[m * k];
        matrix.widenRows(0, m, widened, 0);
        int stride = rowEnd - rowStart + 5;
        for (float[] b : new float[][] {null, bias}) {
            float[] y = new float[n * stride];
            java.util.Arrays.fill(y, Float.NaN);
            MatMul.rows(matrix, rowStart, rowEnd, b, x, 2, n, y, stride, 1);
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < stride; j++) {
                    int o = rowStart + j - 1;
                    float expected = Float.NaN; // outside the slice: not written
                    if (j >= 1 && o < rowEnd) {
                        float dot = Dot.dotScalar(widened, o * k, x, (t + 2) * k, k);
                        expected = b == null ? dot : dot + b[o];
                    }
                    assertThat(Float.floatToRawIntBits(y[t * stride + j])).as("bias=%s t=%d j=%d", b != null, t, j)
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    /** Weight-only int8 (decode reads the codes directly, prefill widens panels): Dot's value of code · scale. */
    @ParameterizedTest
    @CsvSource({"1,37,64,32", "2,40,96,16", "3,33,128,64", "5,20,96,32", "1,17,100,100", "4,130,256,128", "2,9,72,24"})
    void weightOnlyInt8IsTheDefinedDotProductOfItsWidenedWeights(int n, int m, int k, int group) {
        SplittableRandom rnd = new SplittableRandom(n * 131L + m * 7L + k);
        Matrix source = Matrix.fromFloats(DType.F32, m, k, DotTest.random(rnd, m * k));
        Q8Matrix q = Q8Matrix.quantize(source, group, io.spikestream.engine.spiking.WeightQuantizer.absmaxScales(source, group), "w");
        float[] widened = new float[m * k];
        q.widenRows(0, m, widened, 0);
        for (int o = 0; o < m; o++) {
            for (int c = 0; c < k; c++) {
                assertThat(widened[o * k + c]).isEqualTo(q.code(o, c) * q.scales()[o * (k / group) + c / group]);
            }
        }
        float[] x = DotTest.random(rnd, n * k);
        float[] bias = DotTest.random(rnd, m);
        for (int threads : new int[] {1, 2}) {
            float[] y = new float[n * m];
            try (Parallel p = new Parallel(threads)) {
                MatMul.matmul(q, bias, x, n, y, p);
            }
            for (int t = 0; t < n; t++) {
                for (int o = 0; o < m; o++) {
                    float expected = Dot.dotScalar(widened, o * k, x, t * k, k) + bias[o];
                    assertThat(Float.floatToRawIntBits(y[t * m + o])).as("threads=%d t=%d o=%d", threads, t, o)
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "4", "7"})
    void tokensDoNotInfluenceEachOther(int n) {
        SplittableRandom rnd = new SplittableRandom(7);
        int m = 40;
        int k = 70;
        Matrix w = Matrix.fromFloats(DType.F32, m, k, DotTest.random(rnd, m * k));
        float[] x = DotTest.random(rnd, n * k);
        float[] all = new float[n * m];
        try (Parallel p = new Parallel(2)) {
            MatMul.matmul(w, null, x, n, all, p);
            for (int t = 0; t < n; t++) {
                float[] one = new float[m];
                float[] xt = java.util.Arrays.copyOfRange(x, t * k, (t + 1) * k);
                MatMul.matmul(w, null, xt, 1, one, p);
                assertThat(java.util.Arrays.copyOfRange(all, t * m, (t + 1) * m)).isEqualTo(one);
            }
        }
    }
}
