package io.spikestream.operator.input;

import io.spikestream.avro.DocumentChunk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A numbered piece of a document: applied in {@code seq} order from 0, {@code last} ends the document.
 * Early chunks wait in state as {@link DocumentChunk}s (the form the 0.1 release kept them in).
 */
public record Chunk(String docId, long seq, String text, boolean last, Instant eventTime, Map<String, String> attributes)
        implements DocumentInput {
    public Chunk {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(text, "text");
        eventTime = eventTime == null ? Instant.EPOCH : eventTime;
        attributes = attributes == null ? Map.of() : attributes;
    }

    public static Chunk of(DocumentChunk c) {
        return new Chunk(c.getDocId(), c.getSeq(), c.getText(), c.getLast(), c.getEventTime(), c.getAttributes());
    }

    public DocumentChunk toAvro() {
        return DocumentChunk.newBuilder().setDocId(docId).setSeq(seq).setText(text).setAttributes(attributes).setLast(last)
                .setEventTime(eventTime).build();
    }

    /** The chunk as single-object Avro bytes: what a rejection of it carries. */
    public ByteBuffer encoded() {
        try {
            return DocumentChunk.getEncoder().encode(toAvro());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chunk " + seq + " of " + docId, e);
        }
    }
}
