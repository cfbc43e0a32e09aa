package io.spikestream.connectors.kafka;

import io.spikestream.avro.DocumentChunk;

import java.util.HashMap;
import java.util.Map;

/**
 * Where a plain-text or JSON record came from. {@link PlainRecordDecodeFunction} turns such a record into a
 * {@code DocumentChunk} whose {@code seq} is the record's offset and whose attributes carry these coordinates,
 * so the document operator can order records per partition and name them in its output.
 *
 * @param key the record's Kafka key as UTF-8 text, or null when it had none
 */
public record SourceRecord(String topic, int partition, long offset, String key) {
    static final String TOPIC = "kafka.topic";
    static final String PARTITION = "kafka.partition";
    static final String OFFSET = "kafka.offset";
    static final String KEY = "kafka.key";

    /** The attributes of a chunk made from this record. */
    public Map<String, String> attributes() {
        Map<String, String> a = new HashMap<>(8);
        a.put(TOPIC, topic);
        a.put(PARTITION, Integer.toString(partition));
        a.put(OFFSET, Long.toString(offset));
        if (key != null) {
            a.put(KEY, key);
        }
        return a;
    }

    /** The coordinates of a chunk made by {@link PlainRecordDecodeFunction}; an Avro chunk has none. */
    public static SourceRecord of(DocumentChunk chunk) {
        Map<String, String> a = chunk.getAttributes();
        String topic = a.get(TOPIC);
        String partition = a.get(PARTITION);
        String offset = a.get(OFFSET);
        if (topic == null || partition == null || offset == null) {
            throw new IllegalArgumentException("chunk seq " + chunk.getSeq() + " of " + chunk.getDocId()
                    + " is not a plain-text or JSON record (no kafka.topic/partition/offset attributes)");
        }
        return new SourceRecord(topic, Integer.parseInt(partition), Long.parseLong(offset), a.get(KEY));
    }
}
