package io.spikestream.connectors.kafka;

import io.spikestream.records.AvroCodec;
import java.nio.charset.StandardCharsets;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a record to one topic: key = UTF-8 of {@code keyOf(record)} (Kafka's default partitioner then keeps
 * all of a document's records in one partition, in order), value = single-object Avro.
 */
public final class AvroRecordSerializationSchema<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final String topic;
    private final AvroCodec<T> codec;
    private final SerializableFunction<T, String> keyOf;

    public AvroRecordSerializationSchema(String topic, AvroCodec<T> codec, SerializableFunction<T, String> keyOf) {
        this.topic = topic;
        this.codec = codec;
        this.keyOf = keyOf;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String key = keyOf.apply(element);
        if (key == null) {
            throw new IllegalArgumentException("no Kafka key for " + codec.type().getSimpleName() + " " + element);
        }
        return new ProducerRecord<>(topic, null, timestamp, key.getBytes(StandardCharsets.UTF_8), codec.encode(element));
    }
}
