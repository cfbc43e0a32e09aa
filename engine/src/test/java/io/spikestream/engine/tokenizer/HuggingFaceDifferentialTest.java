package io.spikestream.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Our encoder against the Hugging Face tokenizers library (Rust, through DJL) on hostile random text. */
class HuggingFaceDifferentialTest {
    private static HuggingFaceTokenizer hf;
    private static Path dir;

    private static final String[] ALPHABET = {
        "a", "b", "Z", "q", "x", "0", "7", "42", " ", " ", "  ", "\t", "\n", "\r\n", "\r", ".", ",", "-", "_", "/", "\"",
        "'s", "'S", "'ll", "'LL", "'re", "'ve", "'d", "'M", "'t", "'", "\u00a0", "\u3000", "\u2028", "\u0085", "\u2009",
        "\u0301", "\u0323", "\u0308", "e\u0301", "n\u0303", "Å", "ß", "\u1100", "\u1161", "\u11a8", "한", "中", "文", "日本",
        "😀", "👨\u200d👩\u200d👧", "🇨🇳", "\u0663", "\u0966", "½", "Ⅻ", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
        "<tool_call>", "<|im_", "ſ", "ǅ", "\u200b", "\ufeff", "©", "€", "\u00ad", "...", "!!", "a1b2", "http://x.y",
    };

    @BeforeAll
    static void load() throws Exception {
        dir = Files.createTempDirectory("hf-tokenizer");
        Path json = dir.resolve("tokenizer.json");
        HuggingFaceExport.write(TestData.spikingBrain7b(), json);
        hf = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false",
                "maxLength", "1000000"));
    }

    @AfterAll
    static void close() {
        hf.close();
    }

    private static int[] reference(String text) {
        return Arrays.stream(hf.encode(text, false, false).getIds()).mapToInt(l -> (int) l).toArray();
    }

    @Test
    void fixtureCasesAgreeWithTheLibrary() {
        for (FixtureCases.Case c : FixtureCases.cases()) {
            assertThat(reference(c.text())).as(c.text()).containsExactly(c.ids());
        }
    }

    @Test
    void randomHostileTextAgrees() {
        Tokenizer ours = FixtureCases.qwen2();
        SplittableRandom rnd = new SplittableRandom(99);
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + rnd.nextInt(12);
            for (int p = 0; p < parts; p++) {
                sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
            }
            String text = sb.toString();
            assertThat(ours.encode(text, TokenizerMode.TEMPLATE)).as("%s", escape(text)).containsExactly(reference(text));
        }
    }

    @Test
    void longLogAgrees() {
        assertThat(reference(FixtureCases.longLog())).containsExactly(FixtureCases.longLogIds());
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> sb.append(c < 0x20 || c > 0x7e ? String.format("\\u{%x}", c) : Character.toString(c)));
        return sb.toString();
    }
}
