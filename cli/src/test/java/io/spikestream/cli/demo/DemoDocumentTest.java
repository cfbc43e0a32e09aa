package io.spikestream.cli.demo;

import io.spikestream.connectors.producer.TextChunker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DemoDocumentTest {
    @Test
    void chunkOffsetsMapToTheLinesOfTheWholeText() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            sb.append("line ").append(i).append(" of the log with some padding text\n");
        }
        String text = sb.toString();
        DemoDocument d = DemoDocument.of("d", text, 300, Map.of());
        List<String> chunks = new ArrayList<>();
        new TextChunker(300).chunks(text).forEachRemaining(chunks::add);
        assertThat(d.chunkStarts()).hasSize(chunks.size());
        for (int seq = 0; seq < chunks.size(); seq++) {
            String chunk = chunks.get(seq);
            int at = chunk.indexOf("line ", 10);
            String expected = chunk.substring(at, chunk.indexOf('\n', at));
            assertThat(d.line(d.lineAt(seq, at))).isEqualTo(expected);
        }
        assertThat(d.line(0)).isEqualTo("line 0 of the log with some padding text");
        assertThat(d.line(199)).isEqualTo("line 199 of the log with some padding text");
    }
}
