package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Logits for every position match the independent float64 reference within 1e-3. */
class ParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gla-swa-f32", "tiny-gla-swa-bf16-sharded", "tiny-w8aspike-f32", "tiny-spikingbrain-moe-f32"})
    void logitsMatchTheFloat64Reference(String fixture) {
        Path dir = TestData.fixture(fixture);
        ExpectedOutputs expected = ExpectedOutputs.read(dir);
        try (Model model = Model.load(dir); Parallel parallel = new Parallel(2)) {
            DocumentState state = model.newState();
            int[] tokens = expected.tokens();
            Model.Result result = model.forward(state, tokens, 0, tokens.length, true, parallel);
            int vocab = model.config().vocabSize();
            double worst = 0;
            for (int t = 0; t < tokens.length; t++) {
                for (int c = 0; c < vocab; c++) {
                    worst = Math.max(worst, Math.abs(result.logits()[t * vocab + c] - expected.logits()[t][c]));
                }
            }
            assertThat(worst).as("max |logit - reference| over all positions").isLessThan(1e-3);
        }
    }
}
