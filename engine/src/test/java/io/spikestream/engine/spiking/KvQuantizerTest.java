package io.spikestream.engine.spiking;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Per token and head: scale = clamp(max|x| / 127), codes round half to even and clamped to int8. */
class KvQuantizerTest {

    @Test
    void codesAndScalesPerTokenAndHead() {
        // two heads of 4: max |x| = 127 → scale 1; max |x| = 2.54 → scale 0.02
        float[] x = {127f, -63.5f, 0.5f, 1.5f, 2.54f, -1.27f, 0.01f, 0f};
        byte[] codes = new byte[8];
        float[] scales = new float[2];
        KvQuantizer.quantize(x, 1, 2, 4, codes, scales);
        assertThat(scales[0]).isEqualTo(1f);
        assertThat(scales[1]).isEqualTo((float) (2.54f / 127.0));
        assertThat(codes).containsExactly(127, -64, 0, 2, 127, (byte) Math.rint(-1.27f / (double) scales[1]),
                (byte) Math.rint(0.01f / (double) scales[1]), 0);
        assertThat(x[1]).isEqualTo(-64f);
        assertThat(x[4]).isEqualTo(127 * scales[1]);
    }

    @Test
    void aSilentHeadGetsTheMinimumScale() {
        float[] x = new float[4];
        byte[] codes = new byte[4];
        float[] scales = new float[1];
        KvQuantizer.quantize(x, 1, 1, 4, codes, scales);
        assertThat(scales[0]).isEqualTo((float) KvQuantizer.MIN_SCALE);
        assertThat(codes).containsOnly(0);
    }
}
