package io.spikestream.connectors.producer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class TextChunkerTest {
    private static final String[] PIECES = {"a", "bc", " ", "\n", "\r\n", "é", "中文", "🚀", "line of text", "\t", "x".repeat(40)};

    static List<String> chunks(TextChunker c, String text) {
        List<String> out = new ArrayList<>();
        c.chunks(text).forEachRemaining(out::add);
        return out;
    }

    @Test
    void chunksConcatenateToTheTextAndRespectTheLimit() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int trial = 0; trial < 500; trial++) {
            StringBuilder sb = new StringBuilder();
            int parts = rnd.nextInt(200);
            for (int i = 0; i < parts; i++) {
                sb.append(PIECES[rnd.nextInt(PIECES.length)]);
            }
            String text = sb.toString();
            int max = TextChunker.MIN_MAX_BYTES + rnd.nextInt(100);
            List<String> chunks = chunks(new TextChunker(max), text);
            assertThat(String.join("", chunks)).isEqualTo(text);
            assertThat(chunks).isNotEmpty();
            for (int i = 0; i < chunks.size(); i++) {
                String c = chunks.get(i);
                assertThat(c.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(max);
                assertThat(c.isEmpty() && chunks.size() > 1).isFalse();
                assertThat(!c.isEmpty() && Character.isHighSurrogate(c.charAt(c.length() - 1))).as("surrogate pair split").isFalse();
                if (i + 1 < chunks.size()) {
                    assertThat(c.endsWith("\r") && chunks.get(i + 1).startsWith("\n")).as("CRLF split").isFalse();
                }
            }
        }
    }

    @Test
    void breaksAtLineEndsWhenALineFits() {
        String text = "first line\nsecond line\nthird line\n";
        assertThat(chunks(new TextChunker(25), text)).containsExactly("first line\nsecond line\n", "third line\n");
    }

    @Test
    void emptyTextIsOneEmptyChunk() {
        assertThat(chunks(new TextChunker(10), "")).containsExactly("");
    }
}
