package io.spikestream.engine;

import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.testing.TestData;
import io.spikestream.engine.testing.TinyTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Text in, any split: the same tokens and the same bits as the whole text. */
class EngineTextTest {
    static final String TEXT = """
            2026-11-28T14:57:38.123Z INFO  [main] o.a.f.r.t.TaskExecutor - Starting TaskManager.
            WHEREAS the Licensor wishes to grant, and the Licensee wishes to obtain, a non-exclusive licence;
            Café, naïve, résumé — 中文 and emoji 🚀 <|endoftext|> stays text.\r
              indented   line\t\twith tabs   \n\n\nend""";
    private static Engine engine;

    @BeforeAll
    static void load() throws Exception {
        Path dir = TinyTokenizer.modelWithTokenizer(TestData.tinyBf16Sharded(), Files.createTempDirectory("tiny-model"),
                TEXT.repeat(3));
        engine = Engine.load(dir, new EngineOptions(2));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    record Run(int[] tokens, double[] logProbs, float[] hidden) {
    }

    static Run run(List<String> chunks) {
        DocumentState doc = engine.newDocument();
        List<Integer> tokens = new ArrayList<>();
        List<Double> lps = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            if (i == chunks.size() / 2) {
                doc = engine.restore(engine.save(doc));
            }
            TextChunkResult r = engine.advanceText(doc, chunks.get(i), i == chunks.size() - 1);
            for (int k = 0; k < r.result().size(); k++) {
                tokens.add(r.result().tokens()[k]);
                lps.add(r.result().logProbs()[k]);
            }
        }
        return new Run(tokens.stream().mapToInt(Integer::intValue).toArray(), lps.stream().mapToDouble(Double::doubleValue).toArray(),
                doc.lastHidden().clone());
    }

    @Test
    void anySplitGivesTheTokensAndBitsOfTheWholeText() {
        Run whole = run(List.of(TEXT));
        assertThat(whole.tokens()).containsExactly(engine.encodeLiteral(TEXT));
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 30; trial++) {
            List<String> chunks = new ArrayList<>();
            int i = 0;
            while (i < TEXT.length()) {
                int end = Math.min(TEXT.length(), i + 1 + rnd.nextInt(trial < 10 ? 4 : 40));
                if (end < TEXT.length() && Character.isLowSurrogate(TEXT.charAt(end))) {
                    end++;
                }
                chunks.add(TEXT.substring(i, end));
                i = end;
            }
            Run split = run(chunks);
            assertThat(split.tokens()).as("trial %d", trial).containsExactly(whole.tokens());
            assertThat(split.logProbs()).as("trial %d", trial).containsExactly(whole.logProbs());
            assertThat(split.hidden()).containsExactly(whole.hidden());
        }
    }

    @Test
    void specialTokenStringsInDocumentsAreText() {
        int eos = engine.tokenizer().orElseThrow().tokenId("<|endoftext|>").orElseThrow();
        assertThat(engine.encodeLiteral(TEXT)).doesNotContain(eos);
        assertThat(engine.encodeTemplate(TEXT)).contains(eos);
    }

    @Test
    void offsetsPointIntoTheChunk() {
        DocumentState doc = engine.newDocument();
        String first = "the Licensee wishes to obt";
        String second = "ain a licence and the Licensor";
        TextChunkResult a = engine.advanceText(doc, first, false);
        String held = doc.tokenizerTail();
        assertThat(held).isEqualTo(" obt");
        TextChunkResult b = engine.advanceText(doc, second, true);
        assertThat(engine.decode(a.result().tokens())).isEqualTo(first.substring(0, first.length() - held.length()));
        assertThat(engine.decode(b.result().tokens())).isEqualTo(held + second);
        for (TextChunkResult r : List.of(a, b)) {
            String chunk = r == a ? first : second;
            String consumed = r == a ? first : held + second;
            int shift = r == a ? 0 : held.length();
            for (int i = 0; i < r.result().size(); i++) {
                String decoded = engine.decode(new int[] {r.result().tokens()[i]});
                assertThat(r.charEnd()[i]).isLessThanOrEqualTo(chunk.length());
                assertThat(consumed.substring(r.charStart()[i] + shift, r.charEnd()[i] + shift)).isEqualTo(decoded);
            }
        }
        assertThat(b.charStart()[0]).as("the held-back \" obt\" began in the first chunk").isEqualTo(-held.length());
    }

    @Test
    void questionsSeeTheHeldBackTailButTheDocumentDoesNotChange() {
        DocumentState doc = engine.newDocument();
        engine.advanceText(doc, "the Licensee wishes", false);
        assertThat(doc.tokenizerTail()).isEqualTo(" wishes");
        byte[] before = engine.save(doc);
        DocumentState fork = engine.fork(doc);
        engine.flushTail(fork);
        assertThat(fork.tokenizerTail()).isEmpty();
        assertThat(fork.position()).isGreaterThan(doc.position());
        assertThat(engine.save(doc)).isEqualTo(before);
    }

    @Test
    void engineWithoutTokenizerSaysSo() {
        try (Engine ids = Engine.load(TestData.tinyF32(), new EngineOptions(1))) {
            assertThat(ids.tokenizer()).isEmpty();
            assertThatThrownBy(() -> ids.advanceText(ids.newDocument(), "x", false))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no tokenizer files");
        }
    }

    @Test
    void aTokenizerLargerThanTheModelIsRefused() {
        assertThatThrownBy(() -> new Engine(engine.model(), TestData.spikingBrain7b(), new EngineOptions(1)))
                .hasMessageContaining("the model's vocabulary has only 512");
        assertThat(Arrays.stream(engine.encodeLiteral(TEXT)).max().orElseThrow()).isLessThan(512);
    }
}
