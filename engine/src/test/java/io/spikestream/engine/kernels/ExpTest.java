package io.spikestream.engine.kernels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExpTest {

    @Test
    void accurateToAFewUlpsOverTheUsefulRange() {
        double worst = 0;
        for (float x = -87f; x <= 88f; x += 0.00731f) {
            double exact = StrictMath.exp(x);
            worst = Math.max(worst, Math.abs(Exp.exp(x) - exact) / exact);
        }
        assertThat(worst).isLessThan(3e-7);
    }

    @Test
    void edgeValues() {
        assertThat(Exp.exp(0f)).isEqualTo(1f);
        // saturates outside [-87, 88]: never 0 or infinity
        assertThat(Exp.exp(-100f)).isEqualTo(Exp.exp(-87f)).isPositive().isLessThan(2e-38f);
        assertThat(Exp.exp(-1e30f)).isEqualTo(Exp.exp(-87f));
        assertThat(Exp.exp(Float.NEGATIVE_INFINITY)).isEqualTo(Exp.exp(-87f));
        assertThat(Exp.exp(100f)).isEqualTo(Exp.exp(88f)).isGreaterThan(1.6e38f).isFinite();
        assertThat(Exp.exp(Float.POSITIVE_INFINITY)).isEqualTo(Exp.exp(88f));
        assertThat(Exp.exp(Float.NaN)).isNaN();
    }

    @Test
    void vectorLanesEqualTheScalarFunction() {
        int n = 1000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -95f + 190f * i / n + (i % 7) * 1e-3f;
        }
        x[3] = Float.NaN;
        x[4] = Float.NEGATIVE_INFINITY;
        float[] y = new float[n];
        Exp.exp(x, 0, y, 0, n);
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(x[i])) {
                assertThat(y[i]).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(y[i])).as("x=%s", x[i]).isEqualTo(Float.floatToRawIntBits(Exp.exp(x[i])));
            }
        }
    }
}
