package io.spikestream.connectors.kafka;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record exactly as read, before any decoding, so that the source never fails on bad bytes:
 * decoding happens in {@link DecodeFunction}, which can route failures to a side output.
 * A Flink POJO (public no-argument constructor, getters and setters).
 */
public class RawRecord {
    private String topic;
    private int partition;
    private long offset;
    private long timestampMs;
    private byte[] key;
    private byte[] value;

    public RawRecord() {
    }

    public RawRecord(String topic, int partition, long offset, long timestampMs, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestampMs = timestampMs;
        this.key = key;
        this.value = value;
    }

    public String getTopic() {
        return topic;
    }

    public void setTopic(String topic) {
        this.topic = topic;
    }

    public int getPartition() {
        return partition;
    }

    public void setPartition(int partition) {
        this.partition = partition;
    }

    public long getOffset() {
        return offset;
    }

    public void setOffset(long offset) {
        this.offset = offset;
    }

    public long getTimestampMs() {
        return timestampMs;
    }

    public void setTimestampMs(long timestampMs) {
        this.timestampMs = timestampMs;
    }

    /** The key bytes, or null when the record has no key. */
    public byte[] getKey() {
        return key;
    }

    public void setKey(byte[] key) {
        this.key = key;
    }

    /** The value bytes, or null for a tombstone. */
    public byte[] getValue() {
        return value;
    }

    public void setValue(byte[] value) {
        this.value = value;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RawRecord r)) {
            return false;
        }
        return partition == r.partition && offset == r.offset && timestampMs == r.timestampMs
                && Objects.equals(topic, r.topic) && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset + " (key " + (key == null ? "null" : key.length + " bytes")
                + ", value " + (value == null ? "null" : value.length + " bytes") + ")";
    }
}
