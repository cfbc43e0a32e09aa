package io.spikestream.engine;

import io.spikestream.engine.generate.Continuation;
import io.spikestream.engine.generate.Generation;
import io.spikestream.engine.generate.Sampler;
import io.spikestream.engine.generate.SamplingParams;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class EngineTest {
    private static Engine engine;
    private static int[] tokens;

    @BeforeAll
    static void load() {
        engine = Engine.load(TestData.tinyBf16Sharded(), new EngineOptions(2));
        tokens = ExpectedOutputs.read(TestData.tinyBf16Sharded()).tokens();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void surprisalAndArgmaxMatchTheReference() throws IOException {
        Map<String, Object> expected = Json.parseObject(Files.readString(TestData.tinyBf16Sharded().resolve("expected.json")));
        List<Object> nll = (List<Object>) expected.get("next_token_nll");
        List<Object> argmax = (List<Object>) expected.get("argmax");
        DocumentState doc = engine.newDocument();
        Model.Result r = engine.advanceWithLogits(doc, tokens);
        int vocab = engine.model().config().vocabSize();
        assertThat(r.logProbs()[0]).isNaN();
        for (int t = 0; t + 1 < tokens.length; t++) {
            assertThat(-r.logProbs()[t + 1]).as("nll at %d", t).isCloseTo(((Number) nll.get(t)).doubleValue(), offset(1e-4));
            float[] row = Arrays.copyOfRange(r.logits(), t * vocab, (t + 1) * vocab);
            assertThat(Sampler.argmax(row)).as("argmax at %d", t).isEqualTo(((Number) argmax.get(t)).intValue());
        }
    }

    @Test
    void surprisalOfAChunkStartUsesThePreviousChunk() {
        DocumentState whole = engine.newDocument();
        ChunkResult all = engine.advance(whole, tokens);
        DocumentState split = engine.newDocument();
        engine.advance(split, Arrays.copyOf(tokens, 10));
        ChunkResult second = engine.advance(split, Arrays.copyOfRange(tokens, 10, tokens.length));
        assertThat(second.startPosition()).isEqualTo(10);
        assertThat(second.logProbs()[0]).isEqualTo(all.logProbs()[10]);
        assertThat(second.lastHidden()).isEqualTo(all.lastHidden());
    }

    @Test
    void badTokensAreRejectedAndLeaveTheStateUntouched() {
        DocumentState doc = engine.newDocument();
        engine.advance(doc, new int[] {3, 4, 5});
        byte[] before = engine.save(doc);
        assertThatThrownBy(() -> engine.advance(doc, new int[] {7, 512, 8}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 512 at index 1 is outside the vocabulary [0, 512)");
        assertThatThrownBy(() -> engine.advance(doc, new int[] {-1}))
                .hasMessageContaining("token id -1");
        assertThatThrownBy(() -> engine.advance(doc, new int[0]))
                .hasMessageContaining("empty input");
        assertThat(engine.save(doc)).isEqualTo(before);
    }

    @Test
    void greedyGenerationContinuesWithTheArgmaxAndLeavesTheDocumentAlone() {
        DocumentState doc = engine.newDocument();
        engine.advance(doc, Arrays.copyOf(tokens, 20));
        byte[] before = engine.save(doc);
        Generation g = engine.generate(doc, new int[] {7, 8}, SamplingParams.greedy(6));
        assertThat(engine.save(doc)).isEqualTo(before);
        // the same continuation, token by token, through the ordinary API
        DocumentState check = engine.fork(doc);
        float[] logits = last(engine.advanceWithLogits(check, new int[] {7, 8}));
        for (int i = 0; i < g.tokens().length; i++) {
            assertThat(g.tokens()[i]).isEqualTo(Sampler.argmax(logits));
            logits = last(engine.advanceWithLogits(check, new int[] {g.tokens()[i]}));
        }
        assertThat(g.tokens()).hasSizeLessThanOrEqualTo(6);
    }

    @Test
    void seededSamplingIsReproducible() {
        DocumentState doc = engine.newDocument();
        engine.advance(doc, Arrays.copyOf(tokens, 12));
        SamplingParams p = new SamplingParams(12, 1.3, 0.95, 1234);
        Generation a = engine.generate(doc, new int[0], p);
        Generation b = engine.generate(doc, new int[0], p);
        assertThat(a.tokens()).isEqualTo(b.tokens());
        assertThat(a.logProbs()).isEqualTo(b.logProbs());
        boolean anyDifferent = false;
        for (long seed = 1; seed < 6 && !anyDifferent; seed++) {
            anyDifferent = !Arrays.equals(a.tokens(), engine.generate(doc, new int[0], new SamplingParams(12, 1.3, 0.95, seed)).tokens());
        }
        assertThat(anyDifferent).as("other seeds sample other tokens").isTrue();
    }

    @Test
    void continuationScoresAreLogLikelihoodsOnForks() {
        DocumentState doc = engine.newDocument();
        engine.advance(doc, Arrays.copyOf(tokens, 15));
        byte[] before = engine.save(doc);
        List<int[]> candidates = List.of(new int[] {10}, new int[] {20, 21}, new int[] {300, 301, 302});
        List<Continuation> scores = engine.scoreContinuations(doc, new int[] {5, 6}, candidates);
        assertThat(engine.save(doc)).isEqualTo(before);
        assertThat(scores.stream().mapToDouble(Continuation::probability).sum()).isCloseTo(1.0, offset(1e-12));
        for (int c = 0; c < candidates.size(); c++) {
            DocumentState fork = engine.fork(doc);
            engine.advance(fork, new int[] {5, 6});
            double expected = Arrays.stream(engine.advance(fork, candidates.get(c)).logProbs()).sum();
            assertThat(scores.get(c).logLikelihood()).isEqualTo(expected);
            assertThat(scores.get(c).tokens()).isEqualTo(candidates.get(c).length);
        }
    }

    private static float[] last(Model.Result r) {
        int v = engine.model().config().vocabSize();
        return Arrays.copyOfRange(r.logits(), r.logits().length - v, r.logits().length);
    }
}
