package io.spikestream.records;

/**
 * Bytes that are not a single-object Avro encoding of the expected type. {@link #reason()} says which check
 * failed, so callers (the decode function, the consumer command) can report it without parsing messages.
 */
public final class AvroDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Which check failed. */
    public enum Reason {
        /** No bytes at all (a null value or tombstone). */
        EMPTY,
        /** Fewer than the 10 header bytes. */
        TRUNCATED_HEADER,
        /** The first two bytes are not the single-object marker C3 01. */
        BAD_MAGIC,
        /** The schema fingerprint in the header is not one this codec knows. */
        UNKNOWN_FINGERPRINT,
        /** The body ends before the record does. */
        TRUNCATED,
        /** The body does not follow the schema (bad lengths, union branch, enum symbol, boolean, UTF-8, ...). */
        MALFORMED,
        /** The record ends before the bytes do. */
        TRAILING_BYTES,
    }

    private final Reason reason;

    public AvroDecodeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public AvroDecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
