package io.spikestream.operator.input;

import io.spikestream.operator.RecordSource;

import java.util.Objects;

/**
 * A record of a document read in arrival order (a log line, a message): applied as it comes, each line scored.
 * {@code source} is where it came from, or null when the stream has no such coordinates (then nothing can be
 * recognized as a replay).
 */
public record Record(String docId, String text, RecordSource source) implements DocumentInput {
    public Record {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(text, "text");
    }
}
