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
        }
    }

    @Test
    void sixteenAtOnceGiveTheSameBitsAsOneAtATime() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n : new int[] {16, 20, 128, 130}) {
            float[] q = random(rnd, n + 3);
            float[][] v = new float[16][];
            int[] off = new int[16];
            for (int i = 0; i < 16; i++) {
                off[i] = i % 5;
                v[i] = random(rnd, n + off[i]);
            }
            float[] out = new float[16];
            Dot.dot16(q, 3, v, off, n, out);
            for (int i = 0; i < 16; i++) {
                assertThat(Float.floatToRawIntBits(out[i])).as("n=%d i=%d", n, i)
                        .isEqualTo(Float.floatToRawIntBits(Dot.dotScalar(v[i], off[i], q, 3, n)));
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
