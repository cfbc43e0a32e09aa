package io.spikestream.operator;

import java.io.Serializable;

/**
 * Where a record came from: a source (a Kafka topic, a file, …), a partition of it in which records keep their
 * order, the record's offset there, and its key as received (null when it had none). Given for records read
 * in arrival order ({@link DocumentScoring.Builder#records}), it names the record in its output and alerts and
 * makes a replayed offset a duplicate, dropped and counted.
 */
public record RecordSource(String source, int partition, long offset, String key) implements Serializable {
    public RecordSource {
        if (source == null) {
            throw new IllegalArgumentException("a record source needs a name (the topic, file, ... it came from)");
        }
    }
}
