package io.spikestream.cli.demo;

import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.trainer.corpus.Anomaly;
import io.spikestream.trainer.corpus.AnomalyInjector.Injection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DemoDocumentTest {
    @Test
    void chunkOffsetsMapToTheLinesOfTheWholeText() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            sb.append("line ").append(i).append(" of the log with some padding text\n");
        }
        String text = sb.toString();
        DemoDocument d = DemoDocument.of("d", text, 300, List.of());
        List<String> chunks = new ArrayList<>();
        new TextChunker(300).chunks(text).forEachRemaining(chunks::add);
        assertThat(d.chunkStarts()).hasSize(chunks.size());
        // every line starts inside the chunk chunkOfLine names, at its offset there
        for (int line = 0; line < 200; line++) {
            int chunk = d.chunkOfLine(line);
            int at = (int) (d.lineStarts()[line] - d.chunkStarts()[chunk]);
            assertThat(chunks.get(chunk).substring(at)).startsWith(d.line(line).substring(0, Math.min(d.line(line).length(), chunks.get(chunk).length() - at)));
        }
        assertThat(d.line(0)).isEqualTo("line 0 of the log with some padding text");
        assertThat(d.line(199)).isEqualTo("line 199 of the log with some padding text");
    }

    @Test
    void everyLineOfAnInjectedEventKnowsItsLabelledLineAndItsChunk() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append("line ").append(i).append(" of the log with some padding text\n");
        }
        DemoDocument d = DemoDocument.of("d", sb.toString(), 300, List.of(
                new Injection(10, Anomaly.UNSEEN_ERROR, "boom", 10, 13), new Injection(11 + 30, Anomaly.CORRUPTED, "x", 41, 42),
                new Injection(42, Anomaly.CORRUPTED, "y", 42, 43)));
        assertThat(d.injected()).containsOnlyKeys(10, 41, 42);
        assertThat(d.eventOf()).containsEntry(10, 10).containsEntry(11, 10).containsEntry(12, 10).containsEntry(41, 41)
                .containsEntry(42, 42).doesNotContainKey(13).doesNotContainKey(9);
        List<String> chunks = new ArrayList<>();
        new TextChunker(300).chunks(sb.toString()).forEachRemaining(chunks::add);
        java.util.Set<Integer> holding = new java.util.HashSet<>();
        for (int line : List.of(10, 41, 42)) {
            int chunk = d.chunkOfLine(line);
            assertThat(chunks.get(chunk)).contains("line " + line + " of");
            holding.add(chunk);
        }
        assertThat(d.chunksWithInjectedLines()).isEqualTo(holding.size());
    }
}
