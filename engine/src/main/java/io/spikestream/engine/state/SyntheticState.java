package io.spikestream.engine.state;

import io.spikestream.engine.tensor.Matrix;

/**
 * Puts a document state at an arbitrary position with random contents, as if that many tokens had been
 * consumed: the benchmark measures the cost of a chunk at position 1M without first processing 1M tokens.
 * The values are scaled like real ones (unit-size keys and values, a decayed GLA state).
 */
public final class SyntheticState {
    private SyntheticState() {
    }

    public static void fill(DocumentState state, long position, long seed) {
        long s = seed;
        for (int i = 0; i < state.layers(); i++) {
            GlaState g = state.gla(i);
            KeyValueWindow w = state.window(i);
            if (g != null) {
                random(g.s, s++, 0.05f);
                random(g.keys, s++, 1f);
                random(g.values, s++, 1f);
                random(g.decays, s++, 0.01f);
                for (int k = 0; k < g.decays.length; k++) {
                    g.decays[k] = -Math.abs(g.decays[k]);
                }
            }
            if (w instanceof QuantizedKvWindow qw) {
                for (int k = 0; k < qw.keyCodes.length; k++) {
                    qw.keyCodes[k] = (byte) (Matrix.uniform(s, k) * 127);
                    qw.valueCodes[k] = (byte) (Matrix.uniform(s + 1, k) * 127);
                }
                java.util.Arrays.fill(qw.keyScales, 1f / 127);
                java.util.Arrays.fill(qw.valueScales, 1f / 127);
                s += 2;
            } else if (w != null) {
                KvWindow fw = (KvWindow) w;
                fw.ensureCapacity(position);
                random(fw.keys, s++, 1f);
                random(fw.values, s++, 1f);
            }
        }
        random(state.lastHidden(), s, 1f);
        state.restore(position, 0.0);
    }

    private static void random(float[] a, long seed, float scale) {
        for (int i = 0; i < a.length; i++) {
            a[i] = Matrix.uniform(seed, i) * scale;
        }
    }
}
