package io.spikestream.connectors.consumer;

import io.spikestream.records.AvroDecodeException;
import io.spikestream.records.AvroJson;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Prints the records of a topic, one line each: readable text, or JSON with {@code json(true)}.
 * Reads with {@code isolation.level=read_committed}, so records of aborted or open transactions (a Flink job
 * between checkpoints) are never printed. Records that do not decode are reported on the error stream and
 * skipped. Reads all partitions the topic has when it starts (waiting for the topic to appear) without a
 * consumer group: nothing is committed, and several consumers can print the same topic.
 */
public final class EnrichmentConsumer {
    private static final Duration POLL = Duration.ofMillis(200);

    private final Builder options;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean stopped;

    private EnrichmentConsumer(Builder b) {
        this.options = b;
        Properties p = new Properties();
        p.putAll(b.properties);
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Printing must not create the topic as a side effect (brokers with auto-create would).
        p.setProperty(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "spikestream-consume-" + UUID.randomUUID());
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Prints records until {@link #stop()} is called (from another thread), or, with an idle timeout, until no
     * new record came for that long. Closes the Kafka consumer before returning.
     */
    public ConsumeSummary run() {
        long printed = 0;
        long skipped = 0;
        long lastActivity = System.nanoTime();
        try (consumer) {
            List<TopicPartition> partitions = awaitPartitions(lastActivity);
            if (partitions.isEmpty()) {
                return new ConsumeSummary(0, 0);
            }
            consumer.assign(partitions);
            if (options.fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            for (TopicPartition tp : partitions) {
                consumer.position(tp); // fix "the end" now, not at the first poll
            }
            lastActivity = System.nanoTime();
            while (!stopped) {
                var records = consumer.poll(POLL);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    SpecificRecord value;
                    try {
                        value = options.type.codec().decode(r.value());
                    } catch (AvroDecodeException e) {
                        skipped++;
                        options.err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                                + e.reason() + ": " + e.getMessage());
                        continue;
                    }
                    if (options.onRecord != null) {
                        options.onRecord.accept(value);
                    } else {
                        options.out.println(options.json ? AvroJson.toJson(value) : RecordText.format(value));
                    }
                    printed++;
                }
                if (!records.isEmpty()) {
                    options.out.flush();
                    options.err.flush();
                    lastActivity = System.nanoTime();
                } else if (idleFor(lastActivity)) {
                    break;
                }
            }
        } catch (WakeupException e) {
            // stop() interrupts a blocking call this way: the normal end of an unbounded run.
            if (!stopped) {
                throw e;
            }
        } finally {
            options.out.flush();
            options.err.flush();
        }
        return new ConsumeSummary(printed, skipped);
    }

    /** Ends {@link #run()} from another thread (a shutdown hook on Ctrl-C). */
    public void stop() {
        stopped = true;
        consumer.wakeup();
    }

    /** The topic's partitions, waiting for the topic to exist; empty if the idle timeout or stop() came first. */
    private List<TopicPartition> awaitPartitions(long since) {
        boolean reported = false;
        while (!stopped) {
            List<PartitionInfo> infos = consumer.partitionsFor(options.topic, Duration.ofSeconds(5));
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo info : infos) {
                    partitions.add(new TopicPartition(info.topic(), info.partition()));
                }
                return partitions;
            }
            if (idleFor(since)) {
                options.err.println("topic '" + options.topic + "' does not exist on " + options.bootstrapServers);
                return List.of();
            }
            if (!reported) {
                options.err.println("waiting for topic '" + options.topic + "' to be created ...");
                options.err.flush();
                reported = true;
            }
            sleep(POLL);
        }
        return List.of();
    }

    private boolean idleFor(long sinceNanos) {
        return options.idleTimeout != null && System.nanoTime() - sinceNanos >= options.idleTimeout.toNanos();
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    /** Options of one consumer run. */
    public static final class Builder {
        private final Properties properties = new Properties();
        private String bootstrapServers;
        private String topic;
        private RecordType type = RecordType.ENRICHMENT;
        private boolean json;
        private boolean fromBeginning;
        private Duration idleTimeout;
        private PrintWriter out;
        private PrintWriter err;
        private java.util.function.Consumer<SpecificRecord> onRecord;

        private Builder() {
        }

        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The user's client settings (TLS, SASL, ...), {@code bootstrap.servers} included. */
        public Builder clientConfig(KafkaClientConfig config) {
            config.settings().forEach(properties::setProperty);
            if (bootstrapServers == null) {
                bootstrapServers = config.settings().get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
            }
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** What the topic holds; default {@link RecordType#ENRICHMENT}. */
        public Builder type(RecordType type) {
            this.type = type;
            return this;
        }

        /** One JSON object per line instead of readable text. */
        public Builder json(boolean json) {
            this.json = json;
            return this;
        }

        /** Start at the earliest offsets instead of only printing new records. */
        public Builder fromBeginning(boolean fromBeginning) {
            this.fromBeginning = fromBeginning;
            return this;
        }

        /** Stop after this long without a new record; null (default): run until {@link #stop()}. */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Where records go (one per line). */
        public Builder out(PrintWriter out) {
            this.out = out;
            return this;
        }

        /** Where skipped records and waiting notices go. */
        /** Hands each committed record to {@code onRecord} instead of printing it. */
        public Builder onRecord(java.util.function.Consumer<SpecificRecord> onRecord) {
            this.onRecord = onRecord;
            return this;
        }

        public Builder err(PrintWriter err) {
            this.err = err;
            return this;
        }

        /** Any other consumer setting. */
        public Builder property(String key, String value) {
            properties.setProperty(key, value);
            return this;
        }

        public EnrichmentConsumer build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("the consumer needs bootstrap servers");
            }
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("the consumer needs a topic");
            }
            if (type == null || out == null || err == null) {
                throw new IllegalArgumentException("the consumer needs a record type and output writers");
            }
            if (idleTimeout != null && (idleTimeout.isNegative() || idleTimeout.isZero())) {
                throw new IllegalArgumentException("the idle timeout must be positive, got " + idleTimeout);
            }
            if ("read_uncommitted".equals(properties.getProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG))) {
                throw new IllegalArgumentException("isolation.level must stay read_committed");
            }
            return new EnrichmentConsumer(this);
        }
    }
}
