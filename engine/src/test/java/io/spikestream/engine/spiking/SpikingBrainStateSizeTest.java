package io.spikestream.engine.spiking;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.ModelFingerprint;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;
import io.spikestream.engine.state.KvWindow;
import io.spikestream.engine.state.QuantizedKvWindow;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.SyntheticState;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The saved state of one SpikingBrain-7B document (its real config.json), float vs W8ASpike, once the
 * window is full: the numbers the README gives.
 */
class SpikingBrainStateSizeTest {

    private static DocumentState state(Configuration c, boolean int8) {
        int d = c.headDim();
        int kvDim = c.numKvHeads() * d;
        GlaState[] gla = new GlaState[c.numLayers()];
        KeyValueWindow[] windows = new KeyValueWindow[c.numLayers()];
        for (int i = 0; i < c.numLayers(); i++) {
            if (c.isAttentionLayer(i)) {
                windows[i] = int8 ? new QuantizedKvWindow(c.slidingWindow(), kvDim, d) : new KvWindow(c.slidingWindow(), kvDim);
            } else {
                gla[i] = new GlaState(c.numKvHeads(), d);
            }
        }
        return new DocumentState(new ModelFingerprint(new byte[32]), gla, windows, c.hiddenSize());
    }

    @Test
    void theInt8WindowMakesA7bDocumentAboutFourTimesSmaller() {
        Configuration c = Configuration.load(TestData.spikingBrain7b());
        assertThat(c.numLayers()).isEqualTo(28);
        long position = 1L << 20; // a multiple of the GLA block: no open block
        DocumentState f = state(c, false);
        DocumentState q = state(c, true);
        SyntheticState.fill(f, position, 1);
        SyntheticState.fill(q, position, 1);
        long header = 8 + 2 + 2 + 32 + 6 * 4 + 8 + 8 + 4L * 3584 + 4;
        long gla = 14L * (1 + 4L * 4 * 128 * 128);
        long floatWindows = 14L * (1 + 4096L * 2 * 512 * 4);
        long int8Windows = 14L * (1 + 4096L * (2 * 512 + 8 * 4));
        assertThat(StateCodec.encodedSize(f)).isEqualTo(header + gla + floatWindows + 4).isEqualTo(238_565_496L);
        assertThat(StateCodec.encodedSize(q)).isEqualTo(header + gla + int8Windows + 4).isEqualTo(64_239_736L);
        assertThat((double) StateCodec.encodedSize(f) / StateCodec.encodedSize(q)).isBetween(3.7, 3.72);
    }
}
