package io.spikestream.connectors.kafka;

import java.util.Objects;

/**
 * A record of a plain-text or JSON topic, read: its document, its text, and where it came from (topic,
 * partition, offset, key as received). A Flink POJO: the coordinates are fields, typed, never smuggled through
 * string attributes, so a record without them cannot exist.
 */
public class PlainRecord {
    private String docId;
    private String text;
    private String topic;
    private int partition;
    private long offset;
    private String key;
    private long timestampMs;

    public PlainRecord() {
    }

    public PlainRecord(String docId, String text, String topic, int partition, long offset, String key, long timestampMs) {
        this.docId = Objects.requireNonNull(docId, "docId");
        this.text = Objects.requireNonNull(text, "text");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.timestampMs = timestampMs;
    }

    public String getDocId() {
        return docId;
    }

    public void setDocId(String docId) {
        this.docId = docId;
    }

    public String getText() {
        return text;
    }

    public void setText(String text) {
        this.text = text;
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

    /** The record's Kafka key as UTF-8 text, or null when it had none. */
    public String getKey() {
        return key;
    }

    public void setKey(String key) {
        this.key = key;
    }

    public long getTimestampMs() {
        return timestampMs;
    }

    public void setTimestampMs(long timestampMs) {
        this.timestampMs = timestampMs;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlainRecord r && partition == r.partition && offset == r.offset && timestampMs == r.timestampMs
                && Objects.equals(docId, r.docId) && Objects.equals(text, r.text) && Objects.equals(topic, r.topic) && Objects.equals(key, r.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset + " (document " + docId + ", " + text.length() + " chars)";
    }
}
