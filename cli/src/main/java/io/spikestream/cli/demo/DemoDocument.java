package io.spikestream.cli.demo;

import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.trainer.corpus.Anomaly;
import io.spikestream.trainer.corpus.AnomalyInjector.Injection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A document the demo publishes, with what it needs to show results by line: where each chunk starts in the
 * text (the producer's chunking is deterministic), where each line starts, which lines are injected anomalies, and
 * for every line of an injected event (an error's stack frames too) the labelled line of that event.
 */
record DemoDocument(String docId, String text, long[] chunkStarts, int[] lineStarts, Map<Integer, Anomaly> injected,
                    Map<Integer, Integer> eventOf) {

    static DemoDocument of(String docId, String text, int chunkBytes, List<Injection> injections) {
        Map<Integer, Anomaly> injected = new HashMap<>();
        Map<Integer, Integer> eventOf = new HashMap<>();
        for (Injection i : injections) {
            injected.put(i.line(), i.kind());
            for (int l = i.eventStart(); l < i.eventEnd(); l++) {
                eventOf.put(l, i.line());
            }
            eventOf.put(i.line(), i.line());
        }
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
                lines.stream().mapToInt(Integer::intValue).toArray(), Map.copyOf(injected), Map.copyOf(eventOf));
    }

    /** The chunk holding the first character of the 0-based line {@code index}. */
    int chunkOfLine(int index) {
        int i = Arrays.binarySearch(chunkStarts, lineStarts[index]);
        return i >= 0 ? i : -i - 2;
    }

    /** How many chunks hold the start of at least one injected line. */
    long chunksWithInjectedLines() {
        return injected.keySet().stream().map(this::chunkOfLine).distinct().count();
    }

    String line(int index) {
        int end = index + 1 < lineStarts.length ? lineStarts[index + 1] - 1 : text.length();
        return text.substring(lineStarts[index], Math.max(lineStarts[index], end)).stripTrailing();
    }
}
