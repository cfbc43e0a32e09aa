package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.GlaState;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The block-chunked GLA equals the per-token recurrence S_t = diag(e^{g_t}) S_{t-1} + k_t ⊗ v_t. */
class GatedLinearAttentionTest {
    private static final int KV = 2;
    private static final int HEADS = 4;
    private static final int D = 8;

    @Test
    void chunkedFormMatchesTheRecurrentForm() {
        compare(0.5, 1e-5);
    }

    @Test
    void strongDecayNeitherOverflowsNorLosesAccuracy() {
        // log decays down to -60 per token: e^{-b} would overflow float after two tokens.
        compare(60, 1e-5);
    }

    private static void compare(double decayScale, double tolerance) {
        int n = 3 * GlaState.BLOCK + 5;
        SplittableRandom rnd = new SplittableRandom(17);
        float[] q = random(rnd, n * HEADS * D, 0, 1);
        float[] k = random(rnd, n * KV * D, 0, 1);
        float[] v = random(rnd, n * KV * D, -1, 1);
        float[] g = random(rnd, n * KV * D, (float) -decayScale, 0);
        float[] gNorm = new float[D];
        java.util.Arrays.fill(gNorm, 1f);
        float[] out = new float[n * HEADS * D];
        try (Parallel p = new Parallel(2)) {
            GatedLinearAttention.forward(new GlaState(KV, D), 0, n, q, k, v, g, gNorm, 1e-6, HEADS, out, p);
        }
        double[] expected = recurrent(n, q, k, v, g);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) out[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tolerance));
        }
    }

    /** The recurrent form in double, then RMSNorm per head (weight 1). */
    private static double[] recurrent(int n, float[] q, float[] k, float[] v, float[] g) {
        double[][][] s = new double[KV][D][D];
        double[] out = new double[n * HEADS * D];
        int groups = HEADS / KV;
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < KV; j++) {
                for (int a = 0; a < D; a++) {
                    double decay = Math.exp(g[(t * KV + j) * D + a]);
                    for (int b = 0; b < D; b++) {
                        s[j][a][b] = decay * s[j][a][b] + (double) k[(t * KV + j) * D + a] * v[(t * KV + j) * D + b];
                    }
                }
            }
            for (int h = 0; h < HEADS; h++) {
                double[] o = new double[D];
                for (int a = 0; a < D; a++) {
                    double qa = q[(t * HEADS + h) * D + a] / Math.sqrt(D);
                    for (int b = 0; b < D; b++) {
                        o[b] += qa * s[h / groups][a][b];
                    }
                }
                double ms = 0;
                for (double x : o) {
                    ms += x * x;
                }
                double inv = 1 / Math.sqrt(ms / D + 1e-6);
                for (int b = 0; b < D; b++) {
                    out[(t * HEADS + h) * D + b] = o[b] * inv;
                }
            }
        }
        return out;
    }

    private static float[] random(SplittableRandom rnd, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return x;
    }
}
