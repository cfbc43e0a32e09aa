package io.spikestream.trainer.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RocAucTest {
    @Test
    void perfectRandomInvertedAndTiedRankings() {
        boolean[] y = {false, false, true, true};
        assertThat(RocAuc.of(new double[] {0.1, 0.2, 0.8, 0.9}, y)).isEqualTo(1.0);
        assertThat(RocAuc.of(new double[] {0.9, 0.8, 0.2, 0.1}, y)).isEqualTo(0.0);
        assertThat(RocAuc.of(new double[] {0.5, 0.5, 0.5, 0.5}, y)).isEqualTo(0.5);
        // pairs (pos, neg): 0.8>0.1 0.8<0.9 ; 0.3>0.1 0.3<0.9 -> 2 of 4
        assertThat(RocAuc.of(new double[] {0.1, 0.9, 0.8, 0.3}, y)).isCloseTo(0.5, within(1e-12));
        assertThat(RocAuc.of(new double[] {0.1, 0.4, 0.4, 0.9}, new boolean[] {false, false, true, true})).isCloseTo(0.875, within(1e-12));
        assertThatThrownBy(() -> RocAuc.of(new double[] {1, 2}, new boolean[] {true, true})).hasMessageContaining("both");
    }
}
