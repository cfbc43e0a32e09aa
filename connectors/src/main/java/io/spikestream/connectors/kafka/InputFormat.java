package io.spikestream.connectors.kafka;

import java.util.Locale;

/** What the records of the documents topic hold ({@code --input-format}). */
public enum InputFormat {
    /** Single-object Avro {@code DocumentChunk}s: the document and seq are in the record. */
    AVRO,
    /** UTF-8 text, a line or several; the document is the record key, the order the partition's offsets. */
    TEXT,
    /** A JSON object whose text field is the text (and, optionally, another field the document). */
    JSON;

    public static InputFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--input-format must be avro, text or json, got '" + name + "'", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
