package io.spikestream.engine.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LinearInputTest {
    @Test
    void spikesAreEncodedForWholePassesOnly() {
        float[] values = new float[6 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 7) - 3;
        }
        assertThat(new LinearInput(values, 0, 6, 8, null, 0).spikes()).isNotNull();
        // a block of tokens from the middle of a pass would spike tokens 0.. of the array, not its own
        assertThatThrownBy(() -> new LinearInput(values, 2, 3, 8, null, 0).spikes())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("whole passes");
    }
}
