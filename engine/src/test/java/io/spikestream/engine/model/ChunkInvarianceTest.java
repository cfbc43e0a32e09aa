package io.spikestream.engine.model;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.Runs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Any chunking of a document, and any save/restore point, gives the bits of one pass. */
class ChunkInvarianceTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gla-swa-f32", "tiny-gla-swa-bf16-sharded", "tiny-w8aspike-f32", "tiny-spikingbrain-moe-f32"})
    void chunkSizesGiveIdenticalBits(String fixture) {
        Path dir = TestData.fixture(fixture);
        int[] tokens = ExpectedOutputs.read(dir).tokens();
        try (Engine engine = Engine.load(dir, new EngineOptions(2))) {
            int w = engine.model().config().slidingWindow();
            Runs.Output whole = Runs.whole(engine, tokens);
            for (int size : new int[] {1, 2, 3, w - 1, w, w + 1, 15, 16, 17, tokens.length}) {
                Runs.Output chunked = Runs.run(engine, tokens, p -> size, Set.of());
                assertThat(chunked.sameBits(whole)).as("chunk size %d", size).isTrue();
            }
            SplittableRandom rnd = new SplittableRandom(42);
            for (int trial = 0; trial < 5; trial++) {
                long seed = rnd.nextLong();
                SplittableRandom sizes = new SplittableRandom(seed);
                Runs.Output random = Runs.run(engine, tokens, p -> 1 + sizes.nextInt(2 * w + 3), Set.of());
                assertThat(random.sameBits(whole)).as("random chunking seed %d", seed).isTrue();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gla-swa-f32", "tiny-gla-swa-bf16-sharded", "tiny-w8aspike-f32", "tiny-spikingbrain-moe-f32"})
    void saveAndRestoreAnywhereGivesIdenticalBits(String fixture) {
        Path dir = TestData.fixture(fixture);
        int[] tokens = ExpectedOutputs.read(dir).tokens();
        try (Engine engine = Engine.load(dir, new EngineOptions(2))) {
            int w = engine.model().config().slidingWindow();
            Runs.Output whole = Runs.whole(engine, tokens);
            // inside the first window, at its edges, inside and at the end of a GLA block, and later
            for (int cut : new int[] {1, 2, w - 1, w, w + 1, 15, 16, 17, 33, tokens.length - 1}) {
                Runs.Output restored = Runs.run(engine, tokens, p -> tokens.length, Set.of(cut));
                assertThat(restored.sameBits(whole)).as("save/restore after %d tokens", cut).isTrue();
            }
            Runs.Output many = Runs.run(engine, tokens, p -> 3, Set.of(1, 4, 5, 9, 16, 31, 32));
            assertThat(many.sameBits(whole)).as("several save/restore points with chunks of 3").isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void longerThanOnePassAndManyWindows(int threads) {
        Configuration config = TestConfigs.small(24);
        Model model = Model.generate(config, io.spikestream.engine.safetensors.DType.BF16, 5);
        try (Engine engine = new Engine(model, new EngineOptions(threads))) {
            int[] tokens = new SplittableRandom(3).ints(Model.MAX_PASS_TOKENS + 70, 0, config.vocabSize()).toArray();
            Runs.Output whole = Runs.whole(engine, tokens);
            assertThat(Runs.run(engine, tokens, p -> 37, Set.of()).sameBits(whole)).isTrue();
            assertThat(Runs.run(engine, tokens, p -> 1 + p % 29, Set.of(23, 100, 257)).sameBits(whole)).isTrue();
        }
    }
}
