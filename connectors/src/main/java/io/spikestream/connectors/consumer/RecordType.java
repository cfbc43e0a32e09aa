package io.spikestream.connectors.consumer;

import io.spikestream.records.AvroCodec;
import java.util.Locale;
import org.apache.avro.specific.SpecificRecord;

/** Which of our record types a topic holds, for the consumer command's {@code --type}. */
public enum RecordType {
    ENRICHMENT(AvroCodec.enrichment()),
    REJECTED(AvroCodec.rejected()),
    ALERT(AvroCodec.alert()),
    CHUNK(AvroCodec.documentChunk()),
    QUERY(AvroCodec.documentQuery());

    private final AvroCodec<? extends SpecificRecord> codec;

    RecordType(AvroCodec<? extends SpecificRecord> codec) {
        this.codec = codec;
    }

    public AvroCodec<? extends SpecificRecord> codec() {
        return codec;
    }

    /** Parses {@code enrichment}, {@code rejected}, {@code alert}, {@code chunk} or {@code query} (any case). */
    public static RecordType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown record type '" + name + "': expected enrichment, rejected, alert, chunk or query", e);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
