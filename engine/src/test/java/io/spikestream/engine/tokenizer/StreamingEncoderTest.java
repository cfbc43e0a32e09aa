package io.spikestream.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Text split anywhere between code points tokenizes exactly like the whole text. */
class StreamingEncoderTest {

    static int[] stream(Tokenizer t, TokenizerMode mode, List<String> chunks, int saveAt) {
        StreamingEncoder enc = t.streaming(mode, "");
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            if (i == saveAt) {
                enc = t.streaming(mode, enc.tail()); // as if restored from the document state
            }
            for (int id : enc.push(chunks.get(i)).ids()) {
                ids.add(id);
            }
        }
        for (int id : enc.finish().ids()) {
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Random split points between code points; small chunks for the first part. */
    static List<String> split(String text, SplittableRandom rnd, int maxChunk) {
        List<String> chunks = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int len = i < 300 ? 1 + rnd.nextInt(3) : 1 + rnd.nextInt(maxChunk);
            int end = Math.min(text.length(), i + len);
            if (end < text.length() && Character.isLowSurrogate(text.charAt(end))) {
                end++;
            }
            chunks.add(text.substring(i, end));
            i = end;
        }
        return chunks;
    }

    @Test
    void longLogSplitAtRandomGivesTheReferenceIds() {
        Tokenizer t = FixtureCases.qwen2();
        String text = FixtureCases.longLog();
        int[] expected = FixtureCases.longLogIds();
        SplittableRandom rnd = new SplittableRandom(2026);
        for (int trial = 0; trial < 6; trial++) {
            List<String> chunks = split(text, rnd, trial < 3 ? 50 : 5000);
            assertThat(stream(t, TokenizerMode.LITERAL, chunks, chunks.size() / 2)).as("trial %d", trial).containsExactly(expected);
        }
    }

    @Test
    void everyFixtureTextSplitAtEveryPoint() {
        Tokenizer t = FixtureCases.qwen2();
        for (FixtureCases.Case c : FixtureCases.cases()) {
            String s = c.text();
            for (int cut = 1; cut < s.length(); cut++) {
                if (Character.isLowSurrogate(s.charAt(cut))) {
                    continue;
                }
                List<String> chunks = List.of(s.substring(0, cut), s.substring(cut));
                assertThat(stream(t, TokenizerMode.TEMPLATE, chunks, 1)).as("template %s | %s", chunks.get(0), chunks.get(1))
                        .containsExactly(c.ids());
                assertThat(stream(t, TokenizerMode.LITERAL, chunks, -1)).as("literal %s | %s", chunks.get(0), chunks.get(1))
                        .containsExactly(c.idsLiteral());
            }
        }
    }

    @Test
    void trickyBoundaries() {
        Tokenizer t = FixtureCases.qwen2();
        String[] texts = {
            "a\n  \nb", "x.\n  \n\ny", "end   ", "tabs\t\t\n\t x", "CRLF\r\n\r\nnext", "word\r", "\r\n",
            "Cafe\u0301 and re\u0301sume\u0301", "d\u0308\u0323x", "\u1100\u1161\u11A8 \u1100\u1161", "I'LL we've 'd",
            "<|im_start|>user\n<|im_end|>", "<|im_en", "a <|endoftext|>b", "emoji 👨\u200d👩\u200d👧 flags 🇨🇳🇺🇸",
            "   \n   \n", "\u00a0\u3000 x\u2028y\u0085z", "123,456.78", "  leading and trailing  ",
        };
        for (String s : texts) {
            for (TokenizerMode mode : TokenizerMode.values()) {
                int[] whole = t.encode(s, mode);
                for (int cut = 1; cut < s.length(); cut++) {
                    if (Character.isLowSurrogate(s.charAt(cut))) {
                        continue;
                    }
                    for (int cut2 = cut; cut2 <= s.length(); cut2++) {
                        if (cut2 < s.length() && Character.isLowSurrogate(s.charAt(cut2))) {
                            continue;
                        }
                        List<String> chunks = List.of(s.substring(0, cut), s.substring(cut, cut2), s.substring(cut2));
                        assertThat(stream(t, mode, chunks, 2)).as("%s: %s", mode, chunks).containsExactly(whole);
                    }
                }
            }
        }
    }

    @Test
    void chunkOffsetsPointIntoTailPlusChunk() {
        Tokenizer t = FixtureCases.qwen2();
        StreamingEncoder enc = t.streaming(TokenizerMode.LITERAL, "");
        String first = "The quick brown fo";
        Encoding a = enc.push(first);
        String tail = enc.tail();
        assertThat(tail).isEqualTo(" fo");
        String second = "x jumps";
        Encoding b = enc.push(second);
        String consumed = tail + second;
        assertThat(consumed.substring(b.start()[0], b.end()[0])).isEqualTo(" fox");
        assertThat(a.size() + b.size() + enc.finish().size()).isEqualTo(t.encode(first + second, TokenizerMode.LITERAL).length);
    }

    @Test
    void aTailBeyondTheBoundIsFlushedAndCounted() {
        Tokenizer t = FixtureCases.qwen2();
        StreamingEncoder enc = t.streaming(TokenizerMode.LITERAL, "").withMaxTail(100);
        enc.push("x".repeat(150));
        assertThat(enc.tail()).isEmpty();
        assertThat(enc.forcedFlushes()).isEqualTo(1);
    }
}
