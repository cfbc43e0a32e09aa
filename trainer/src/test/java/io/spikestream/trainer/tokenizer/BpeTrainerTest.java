package io.spikestream.trainer.tokenizer;

import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import io.spikestream.trainer.corpus.LogGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BpeTrainerTest {
    @TempDir
    Path tmp;

    static BpeTrainer.TrainedTokenizer train(int vocab) {
        BpeTrainer t = new BpeTrainer();
        for (String line : new LogGenerator(1).lines(3000)) {
            t.add(line + "\n");
        }
        t.add("Café ünïcödé 中文 🚀\n");
        return t.train(vocab, BpeTrainer.DEFAULT_SPECIALS);
    }

    @Test
    void theEngineLoadsWhatTheTrainerWritesAndTextRoundTrips() throws Exception {
        BpeTrainer.TrainedTokenizer trained = train(800);
        assertThat(trained.vocabSize()).isEqualTo(800);
        trained.write(tmp.resolve("a"));
        Tokenizer tokenizer = Tokenizer.load(tmp.resolve("a"));
        assertThat(tokenizer.vocabSize()).isEqualTo(800);

        String heldOut = String.join("\n", new LogGenerator(99).lines(500)) + "\nnever seen: Ωmega ∑ 🚀 tabs\tand  spaces\n";
        int[] ids = tokenizer.encode(heldOut, TokenizerMode.LITERAL);
        assertThat(tokenizer.decode(ids)).isEqualTo(heldOut);
        int bytes = heldOut.getBytes(StandardCharsets.UTF_8).length;
        // Qwen2's pattern cuts numbers into single digits, so digit-heavy logs stay near 1.75 bytes per token
        assertThat(ids.length).as("merges learned from logs compress logs").isLessThan((int) (bytes * 0.65));
        train(300).write(tmp.resolve("small"));
        int smaller = Tokenizer.load(tmp.resolve("small")).encode(heldOut, TokenizerMode.LITERAL).length;
        assertThat(ids.length).as("more merges, fewer tokens").isLessThan((int) (smaller * 0.85));

        int eos = tokenizer.tokenId("<|endoftext|>").orElseThrow();
        assertThat(eos).isEqualTo(797);
        assertThat(tokenizer.encode("a<|endoftext|>", TokenizerMode.TEMPLATE)).endsWith(eos);
        assertThat(tokenizer.encode("a<|endoftext|>", TokenizerMode.LITERAL)).doesNotContain(eos);
    }

    @Test
    void trainingIsDeterministic() throws Exception {
        train(700).write(tmp.resolve("x"));
        train(700).write(tmp.resolve("y"));
        for (String f : List.of("vocab.json", "merges.txt", "tokenizer_config.json")) {
            assertThat(Files.readString(tmp.resolve("x").resolve(f))).isEqualTo(Files.readString(tmp.resolve("y").resolve(f)));
        }
        assertThat(Files.readAllLines(tmp.resolve("x/merges.txt"))).hasSize(1 + 700 - 256 - 3);
    }

    @Test
    void mergesAreTheMostFrequentPairsFirst() throws Exception {
        BpeTrainer t = new BpeTrainer().add("aaab aaab aaab xy");
        BpeTrainer.TrainedTokenizer trained = t.train(256 + 2, List.of());
        trained.write(tmp.resolve("m"));
        // words "aaab" ×1 and " aaab" ×2: (a,a) occurs 6 times, then (aa, a)/(a, b)/(Ġ, aa)... after the first merge
        assertThat(Files.readAllLines(tmp.resolve("m/merges.txt"))).containsExactly("#version: 0.2", "a a", "aa a");
        assertThatThrownBy(() -> t.train(100, List.of())).hasMessageContaining("below the 256 byte tokens");
    }
}
