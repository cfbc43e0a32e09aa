package io.spikestream.engine.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class DotTest {

    @Test
    void vectorAndScalarFormsGiveTheSameBits() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int n : new int[] {1, 3, 15, 16, 17, 31, 64, 100, 128, 3584}) {
            float[] a = random(rnd, n + 5);
            float[] b = random(rnd, n + 7);
            float reference = Dot.dotScalar(a, 5, b, 7, n);
            assertThat(Float.floatToRawIntBits(Dot.dot(a, 5, b, 7, n))).as("n=" + n).isEqualTo(Float.floatToRawIntBits(reference));
            assertThat(Float.floatToRawIntBits(Dot.dotVector(a, 5, b, 7, n))).as("n=" + n).isEqualTo(Float.floatToRawIntBits(reference));
            // the 8-lane form (AVX2 CPUs), whichever form this CPU runs in dot()
            assertThat(Float.floatToRawIntBits(Dot.dotVector8(a, 5, b, 7, n))).as("8 lanes, n=" + n).isEqualTo(Float.floatToRawIntBits(reference));
        }
    }

    /** Sums whose order shows: the 8-lane tree adds the same pairs as the definition (cancellation would expose another order). */
    @Test
    void theEightLaneTreeAddsInTheDefinitionsOrder() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            float[] a = new float[16];
            float[] b = new float[16];
            for (int i = 0; i < 16; i++) {
                a[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-20, 40)));
                b[i] = 1f;
            }
            assertThat(Float.floatToRawIntBits(Dot.dotVector8(a, 0, b, 0, 16))).as("trial " + trial)
                    .isEqualTo(Float.floatToRawIntBits(Dot.dotScalar(a, 0, b, 0, 16)));
        }
    }

    /** The column form against the definition, lengths with and without tails, signed zeros included. */
    @Test
    void sixteenColumnsGiveTheBitsOfSixteenDotProducts() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n : new int[] {1, 7, 15, 16, 17, 32, 48, 64, 100, 130}) {
            float[] x = random(rnd, n + 3);
            float[] cols = random(rnd, 5 + n * 16);
            x[3] = -0f; // a product of -0 starts lane 0 of every column: the definition's fma(…, +0) keeps +0
            for (int i = 0; i < 16; i++) {
                cols[5 + (n - 1) * 16 + i] = i % 2 == 0 ? 0f : -0f;
            }
            float[] out = new float[16 + 2];
            Dot.columns16(cols, 5, x, 3, n, out, 2);
            float[] out8 = new float[16 + 2]; // the 8-lane form (AVX2 CPUs), whichever form this CPU runs
            Dot.columns16x8(cols, 5, x, 3, n, out8, 2);
            for (int i = 0; i < 16; i++) {
                assertThat(Float.floatToRawIntBits(out8[2 + i])).as("8 lanes, n=%d column %d", n, i)
                        .isEqualTo(Float.floatToRawIntBits(out[2 + i]));
                float[] column = new float[n];
                for (int k = 0; k < n; k++) {
                    column[k] = cols[5 + k * 16 + i];
                }
                assertThat(Float.floatToRawIntBits(out[2 + i])).as("n=%d column %d", n, i)
                        .isEqualTo(Float.floatToRawIntBits(Dot.dotScalar(column, 0, x, 3, n)));
            }
        }
    }

    @Test
    void computesADotProduct() {
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
        float[] b = new float[18];
        java.util.Arrays.fill(b, 2f);
        assertThat(Dot.dot(a, 0, b, 0, 18)).isEqualTo(2f * 171);
        assertThat(Dot.dot(a, 16, b, 0, 2)).isEqualTo(70f);
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }
}
