package io.spikestream.engine.model;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.Runs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Identical bits with one thread and with all cores (and more threads than cores). */
class DeterminismTest {

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"tiny-gla-swa-bf16-sharded", "tiny-spikingbrain-moe-f32"})
    void fixtureLogitsAreTheSameForAnyThreadCount(String fixture) {
        Path dir = TestData.fixture(fixture);
        int[] tokens = ExpectedOutputs.read(dir).tokens();
        Runs.Output one;
        try (Engine engine = Engine.load(dir, new EngineOptions(1))) {
            one = Runs.whole(engine, tokens);
        }
        for (int threads : new int[] {Runtime.getRuntime().availableProcessors(), 3, 8}) {
            try (Engine engine = Engine.load(dir, new EngineOptions(threads))) {
                assertThat(Runs.whole(engine, tokens).sameBits(one)).as("%d threads", threads).isTrue();
            }
        }
    }

    @Test
    void largerModelIsTheSameForAnyThreadCount() {
        Model model = Model.generate(TestConfigs.small(40), DType.BF16, 11);
        int[] tokens = new SplittableRandom(9).ints(90, 0, 1000).toArray();
        Runs.Output one;
        try (Engine engine = new Engine(model, new EngineOptions(1))) {
            one = Runs.whole(engine, tokens);
        }
        for (int threads : new int[] {2, 5}) {
            try (Engine engine = new Engine(model, new EngineOptions(threads))) {
                assertThat(Runs.whole(engine, tokens).sameBits(one)).as("%d threads", threads).isTrue();
            }
        }
        assertThat(one.logits()).doesNotContain(Float.NaN);
    }

    /**
     * Both ways of sharing a pass among threads: by blocks of tokens (every matrix held as floats) and by rows
     * of each matrix (here the 8200 × 128 lm_head is above the float copy's limit); a chunked run as well.
     */
    @Test
    void passesSharedByTokensOrByRowsAreTheSameForAnyThreadCount() {
        for (int vocab : new int[] {1000, 8200}) {
            Model model = Model.generate(TestConfigs.small(24, vocab), DType.BF16, 13);
            assertThat(model.sharesTokens()).as("vocabulary %d", vocab).isEqualTo(vocab == 1000);
            int[] tokens = new SplittableRandom(21).ints(Model.MAX_PASS_TOKENS + 45, 0, vocab).toArray();
            Runs.Output one;
            try (Engine engine = new Engine(model, new EngineOptions(1))) {
                one = Runs.whole(engine, tokens);
            }
            for (int threads : new int[] {2, 3}) {
                try (Engine engine = new Engine(model, new EngineOptions(threads))) {
                    assertThat(Runs.whole(engine, tokens).sameBits(one)).as("vocabulary %d, %d threads", vocab, threads).isTrue();
                    assertThat(Runs.run(engine, tokens, p -> 1 + p % 97, java.util.Set.of()).sameBits(one))
                            .as("vocabulary %d, %d threads, chunked", vocab, threads).isTrue();
                }
            }
        }
    }
}
