package io.spikestream.cli.demo;

import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.trainer.corpus.Anomaly;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A document the demo publishes, with what it needs to show results by line: where each chunk starts in the
 * text (the producer's chunking is deterministic), where each line starts, and which lines are injected anomalies.
 */
record DemoDocument(String docId, String text, long[] chunkStarts, int[] lineStarts, Map<Integer, Anomaly> injected) {

    static DemoDocument of(String docId, String text, int chunkBytes, Map<Integer, Anomaly> injected) {
        List<Long> starts = new ArrayList<>();
        long at = 0;
        for (var it = new TextChunker(chunkBytes).chunks(text); it.hasNext(); ) {
            starts.add(at);
            at += it.next().length();
        }
        List<Integer> lines = new ArrayList<>();
        lines.add(0);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n' && i + 1 < text.length()) {
                lines.add(i + 1);
            }
        }
        return new DemoDocument(docId, text, starts.stream().mapToLong(Long::longValue).toArray(),
                lines.stream().mapToInt(Integer::intValue).toArray(), injected);
    }

    /** The 0-based line holding character {@code charStart} of chunk {@code seq}. */
    int lineAt(long seq, int charStart) {
        long offset = (seq < chunkStarts.length ? chunkStarts[(int) seq] : 0) + Math.max(0, charStart);
        int i = Arrays.binarySearch(lineStarts, (int) Math.min(offset, text.length()));
        return i >= 0 ? i : -i - 2;
    }

    String line(int index) {
        int end = index + 1 < lineStarts.length ? lineStarts[index + 1] - 1 : text.length();
        return text.substring(lineStarts[index], Math.max(lineStarts[index], end)).stripTrailing();
    }
}
