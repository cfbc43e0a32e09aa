package io.spikestream.connectors.kafka;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.kafka.access.RefusalStopsSink;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Builds {@link KafkaSink}s that write single-object Avro records keyed by document id, exactly once by default.
 *
 * <pre>{@code
 * KafkaSink<Enrichment> sink = AvroKafkaSink.enrichments()
 *         .bootstrapServers("localhost:9092")
 *         .topic(Topics.ENRICHMENTS)
 *         .transactionalIdPrefix("spikestream-enrichments")
 *         .build();
 * }</pre>
 *
 * <p>The user's client settings ({@link KafkaClientConfig}: TLS, SASL, ...) apply to its producers; a refusal by
 * Kafka (authentication, ACLs on the topic or the transactional ids, TLS) stops the job with the reason instead
 * of restarting it ({@link RefusalStopsSink}).
 *
 * <p>Exactly once means: records become visible to {@code read_committed} consumers when the Flink checkpoint
 * that covers them completes. The Kafka transaction stays open from one checkpoint to the next, so
 * {@code transaction.timeout.ms} must exceed the checkpoint interval plus any restart time, and must not exceed
 * the broker's {@code transaction.max.timeout.ms} (15 minutes by default), or the producer cannot start.
 */
public final class AvroKafkaSink {
    /** Default {@code transaction.timeout.ms}: the Kafka connector's 1 hour is above the broker's default maximum. */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(10);
    /** The broker's default {@code transaction.max.timeout.ms}. */
    public static final Duration DEFAULT_BROKER_MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private AvroKafkaSink() {
    }

    /** A sink builder for any record type, with the Kafka key taken from each record. */
    public static <T extends SpecificRecord> Builder<T> builder(AvroCodec<T> codec, SerializableFunction<T, String> keyOf) {
        return new Builder<>(codec, keyOf);
    }

    /** Enrichments, keyed by docId. */
    public static Builder<Enrichment> enrichments() {
        return builder(AvroCodec.enrichment(), Enrichment::getDocId);
    }

    /** Alerts, keyed by docId. */
    public static Builder<Alert> alerts() {
        return builder(AvroCodec.alert(), Alert::getDocId);
    }

    /** Rejected records, keyed by docId when known, else by {@code topic-partition-offset} of the bad record. */
    public static Builder<Rejected> rejected() {
        return builder(AvroCodec.rejected(), AvroKafkaSink::rejectedKey);
    }

    static String rejectedKey(Rejected r) {
        return r.getDocId() != null ? r.getDocId() : r.getSourceTopic() + "-" + r.getPartition() + "-" + r.getOffset();
    }

    /** Options of one sink; {@link #build()} checks them together. */
    public static final class Builder<T extends SpecificRecord> {
        private final AvroCodec<T> codec;
        private final SerializableFunction<T, String> keyOf;
        private final Properties properties = new Properties();
        private String bootstrapServers;
        private String topic;
        private DeliveryGuarantee deliveryGuarantee = DeliveryGuarantee.EXACTLY_ONCE;
        private String transactionalIdPrefix;
        private Duration transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
        private Duration brokerMaxTransactionTimeout = DEFAULT_BROKER_MAX_TRANSACTION_TIMEOUT;

        private Builder(AvroCodec<T> codec, SerializableFunction<T, String> keyOf) {
            this.codec = Objects.requireNonNull(codec, "codec");
            this.keyOf = Objects.requireNonNull(keyOf, "keyOf");
        }

        public Builder<T> bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** The user's client settings, {@code bootstrap.servers} included (a later {@link #bootstrapServers} wins). */
        public Builder<T> clientConfig(KafkaClientConfig config) {
            config.settings().forEach(properties::setProperty);
            if (bootstrapServers == null) {
                bootstrapServers = config.settings().get("bootstrap.servers");
            }
            return this;
        }

        public Builder<T> topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** {@link DeliveryGuarantee#EXACTLY_ONCE} (default) or {@link DeliveryGuarantee#AT_LEAST_ONCE}. */
        public Builder<T> deliveryGuarantee(DeliveryGuarantee deliveryGuarantee) {
            this.deliveryGuarantee = Objects.requireNonNull(deliveryGuarantee, "deliveryGuarantee");
            return this;
        }

        /**
         * Prefix of the Kafka transactional ids; required for exactly once. It must be unique per sink among
         * all jobs on the cluster: two sinks sharing a prefix fence (abort) each other's transactions.
         */
        public Builder<T> transactionalIdPrefix(String transactionalIdPrefix) {
            this.transactionalIdPrefix = transactionalIdPrefix;
            return this;
        }

        /** {@code transaction.timeout.ms}; default {@link #DEFAULT_TRANSACTION_TIMEOUT}. */
        public Builder<T> transactionTimeout(Duration transactionTimeout) {
            this.transactionTimeout = Objects.requireNonNull(transactionTimeout, "transactionTimeout");
            return this;
        }

        /** The target broker's {@code transaction.max.timeout.ms}, when it is not the default 15 minutes. */
        public Builder<T> brokerMaxTransactionTimeout(Duration brokerMaxTransactionTimeout) {
            this.brokerMaxTransactionTimeout = Objects.requireNonNull(brokerMaxTransactionTimeout, "brokerMaxTransactionTimeout");
            return this;
        }

        /** Any other producer setting ({@code compression.type}, {@code linger.ms}, ...). */
        public Builder<T> property(String key, String value) {
            properties.setProperty(key, value);
            return this;
        }

        public RefusalStopsSink<T> build() {
            require(bootstrapServers, "bootstrapServers");
            require(topic, "topic");
            Properties props = new Properties();
            props.putAll(properties);
            props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
            var sink = KafkaSink.<T>builder()
                    .setBootstrapServers(bootstrapServers)
                    .setRecordSerializer(new AvroRecordSerializationSchema<>(topic, codec, keyOf))
                    .setDeliveryGuarantee(deliveryGuarantee);
            switch (deliveryGuarantee) {
                case EXACTLY_ONCE -> {
                    if (transactionalIdPrefix == null || transactionalIdPrefix.isBlank()) {
                        throw new IllegalArgumentException("an EXACTLY_ONCE sink to '" + topic + "' needs a transactionalIdPrefix, "
                                + "unique per sink: Kafka fences producers that share transactional ids");
                    }
                    Duration timeout = props.containsKey(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)
                            ? Duration.ofMillis(Long.parseLong(props.getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)))
                            : transactionTimeout;
                    checkTransactionTimeout(timeout);
                    props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(timeout.toMillis()));
                    sink.setTransactionalIdPrefix(transactionalIdPrefix);
                }
                case AT_LEAST_ONCE -> props.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
                case NONE -> throw new IllegalArgumentException("DeliveryGuarantee.NONE would lose " + codec.type().getSimpleName()
                        + " records on failure: use EXACTLY_ONCE or AT_LEAST_ONCE");
            }
            String where = "writing topic '" + topic + "'" + (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE
                    ? ", transactional ids '" + transactionalIdPrefix + "-*'" : "");
            return new RefusalStopsSink<>(sink.setKafkaProducerConfig(props).build(), where);
        }

        private void checkTransactionTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("transaction timeout must be positive, got " + timeout);
            }
            if (timeout.compareTo(brokerMaxTransactionTimeout) > 0) {
                throw new IllegalArgumentException("transaction.timeout.ms " + timeout.toMillis() + " exceeds the broker's "
                        + "transaction.max.timeout.ms " + brokerMaxTransactionTimeout.toMillis() + ": the broker would refuse to "
                        + "start the sink's transactions (InvalidTxnTimeoutException). Lower the sink's transaction timeout "
                        + "(it only needs to exceed the checkpoint interval plus restart time) or raise the broker's maximum "
                        + "and declare it with brokerMaxTransactionTimeout(...)");
            }
        }

        private static void require(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("the Kafka sink needs " + name);
            }
        }
    }
}
