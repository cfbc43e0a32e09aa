package io.spikestream.engine.kernels;

import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.tensor.Matrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class MatMulTest {

    /** Every tile shape, thread count and token count gives exactly Dot's value for every element. */
    @ParameterizedTest
    @CsvSource({"1,16,16", "3,37,19", "4,64,64", "5,33,100", "9,50,96", "17,130,257"})
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
