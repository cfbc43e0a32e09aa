package io.spikestream.connectors.kafka;

import io.spikestream.connectors.kafka.access.RefusalStopsSource;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Builds a {@link KafkaSource} of {@link RawRecord}s that reads only committed records
 * ({@code isolation.level=read_committed}): records of aborted or still-open transactions upstream never
 * reach the job. The user's client settings ({@link KafkaClientConfig}: TLS, SASL, ...) apply to its consumers
 * and admin client; a refusal by Kafka (authentication, ACLs, TLS) stops the job with the reason instead of
 * restarting it ({@link RefusalStopsSource}).
 *
 * <pre>{@code
 * KafkaSource<RawRecord> source = RawKafkaSource.builder()
 *         .bootstrapServers("localhost:9092")
 *         .topics(Topics.DOCUMENTS, Topics.QUERIES)
 *         .groupId("spikestream")
 *         .build();
 * }</pre>
 *
 * <p>Starts from the group's committed offsets, or the earliest offset of partitions it has none for. After a
 * restore, the offsets in the Flink checkpoint win; committed offsets are only for monitoring and fresh starts.
 */
public final class RawKafkaSource {
    private RawKafkaSource() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options of one source; {@link #build()} checks them. */
    public static final class Builder {
        private final Properties properties = new Properties();
        private String bootstrapServers;
        private List<String> topics = List.of();
        private String groupId;
        private OffsetsInitializer startingOffsets = committedOrEarliest();
        private OffsetsInitializer stoppingOffsets;

        private Builder() {
        }

        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The user's client settings, {@code bootstrap.servers} included (a later {@link #bootstrapServers} wins). */
        public Builder clientConfig(KafkaClientConfig config) {
            config.settings().forEach(this::property);
            if (bootstrapServers == null) {
                bootstrapServers = config.settings().get("bootstrap.servers");
            }
            return this;
        }

        public Builder topics(String... topics) {
            this.topics = List.of(topics);
            return this;
        }

        public Builder topics(List<String> topics) {
            this.topics = List.copyOf(topics);
            return this;
        }

        public Builder groupId(String groupId) {
            this.groupId = groupId;
            return this;
        }

        /** Where a fresh start begins; default: committed offsets, falling back to the earliest. */
        public Builder startingOffsets(OffsetsInitializer startingOffsets) {
            this.startingOffsets = startingOffsets;
            return this;
        }

        /** Makes the source bounded: it finishes at these offsets (replays, tests). Default: unbounded. */
        public Builder bounded(OffsetsInitializer stoppingOffsets) {
            this.stoppingOffsets = stoppingOffsets;
            return this;
        }

        /** Any other consumer or source setting; {@code isolation.level} cannot be changed. */
        public Builder property(String key, String value) {
            if (ConsumerConfig.ISOLATION_LEVEL_CONFIG.equals(key) && !"read_committed".equals(value)) {
                throw new IllegalArgumentException("isolation.level must stay read_committed: with " + value
                        + " the job would also read records of aborted transactions");
            }
            properties.setProperty(key, value);
            return this;
        }

        public RefusalStopsSource<RawRecord, KafkaPartitionSplit, KafkaSourceEnumState> build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("the Kafka source needs bootstrapServers");
            }
            if (topics.isEmpty()) {
                throw new IllegalArgumentException("the Kafka source needs at least one topic");
            }
            if (groupId == null || groupId.isBlank()) {
                throw new IllegalArgumentException("the Kafka source needs a groupId (its committed offsets are where a fresh start resumes)");
            }
            var source = KafkaSource.<RawRecord>builder()
                    .setBootstrapServers(bootstrapServers)
                    .setTopics(topics)
                    .setGroupId(groupId)
                    .setStartingOffsets(startingOffsets)
                    .setDeserializer(new RawRecordDeserializationSchema())
                    .setProperties(properties)
                    .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            if (stoppingOffsets != null) {
                source.setBounded(stoppingOffsets);
            }
            return new RefusalStopsSource<>(source.build(), "reading " + (topics.size() == 1 ? "topic '" + topics.get(0) + "'" : "topics " + topics));
        }

        // The connector's API still takes the (deprecated in kafka-clients 4) OffsetResetStrategy.
        @SuppressWarnings("deprecation")
        private static OffsetsInitializer committedOrEarliest() {
            return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
    }
}
