package io.spikestream.operator.process;

import io.spikestream.avro.SurprisingSpan;
import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.TextChunkResult;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SurprisalSummaryTest {
    @Test
    void statisticsAndSpansIncludingATokenWhollyInCarriedText() {
        // chunk text "cd ef"; token 0 ("ab") was carried over from the previous chunk (offsets before 0),
        // token 1 ("xcd") starts in the carried text and ends in this chunk, token 2 is " ef".
        String text = "cd ef";
        ChunkResult result = new ChunkResult(100, new int[] {7, 8, 9}, new double[] {-5.0, -1.0, -3.0}, new float[0]);
        TextChunkResult r = new TextChunkResult(result, new int[] {-3, -1, 2}, new int[] {-1, 2, 5});
        SurprisalSummary s = SurprisalSummary.of(r, text, 3, id -> "tok" + id);
        assertThat(s.scored()).isEqualTo(3);
        assertThat(s.mean()).isEqualTo(3.0);
        assertThat(s.maxOrNull()).isEqualTo(5.0);
        assertThat(s.perplexity()).isEqualTo(Math.exp(3.0));
        assertThat(s.spans()).extracting(SurprisingSpan::getText).containsExactly("tok7", " ef", "cd");
        SurprisingSpan carried = s.spans().get(0);
        assertThat(carried.getCharStart()).isZero();
        assertThat(carried.getCharEnd()).isZero();
        assertThat(carried.getTokenPosition()).isEqualTo(100);
        assertThat(s.spans().get(2).getCharStart()).isZero();
        assertThat(s.spans().get(2).getCharEnd()).isEqualTo(2);
    }

    @Test
    void theFirstTokenOfADocumentHasNoSurprisal() {
        ChunkResult result = new ChunkResult(0, new int[] {1, 2}, new double[] {Double.NaN, -2.0}, new float[0]);
        SurprisalSummary s = SurprisalSummary.of(new TextChunkResult(result, new int[] {0, 1}, new int[] {1, 2}), "ab", 5, id -> "");
        assertThat(s.scored()).isEqualTo(1);
        assertThat(s.mean()).isEqualTo(2.0);
        assertThat(s.spans()).hasSize(1);
    }
}
