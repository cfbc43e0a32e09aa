package io.spikestream.connectors.producer;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes documents as {@link DocumentChunk}s: seq 0, 1, ... in order, {@code last=true} on the final
 * chunk, key = docId (one partition per document, so chunks stay in order). The producer is idempotent with
 * {@code acks=all}: retries neither lose nor duplicate chunks.
 */
public final class ChunkProducer implements AutoCloseable {
    /** Default chunk size: about 16K tokens of English text. */
    public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;
    /** Largest chunk size: a record must stay below the broker's default message.max.bytes (1 MiB). */
    public static final int MAX_CHUNK_BYTES = 1_000_000;

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final TextChunker chunker;
    private final AvroCodec<DocumentChunk> codec = AvroCodec.documentChunk();

    private ChunkProducer(Builder b) {
        this.topic = b.topic;
        this.chunker = new TextChunker(b.chunkBytes);
        Properties p = new Properties();
        p.putAll(b.properties);
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Chunks the UTF-8 text of {@code utf8} and publishes it as document {@code docId}; returns once every
     * chunk is acknowledged. The text is read as it is sent (constant memory, whatever its size).
     */
    public ProducedDocument produce(String docId, InputStream utf8, Map<String, String> attributes) {
        if (docId == null || docId.isEmpty()) {
            throw new IllegalArgumentException("a document needs a non-empty id");
        }
        byte[] key = docId.getBytes(StandardCharsets.UTF_8);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long seq = 0;
        long bytes = 0;
        Iterator<String> chunks = chunker.chunks(utf8);
        while (chunks.hasNext()) {
            String text = chunks.next();
            DocumentChunk chunk = DocumentChunk.newBuilder()
                    .setDocId(docId)
                    .setSeq(seq)
                    .setText(text)
                    .setAttributes(attributes)
                    .setLast(!chunks.hasNext())
                    .setEventTime(Instant.now())
                    .build();
            long chunkSeq = seq;
            producer.send(new ProducerRecord<>(topic, key, codec.encode(chunk)), (metadata, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, new IllegalStateException("chunk " + chunkSeq + " of document '" + docId
                            + "' was not written to topic '" + topic + "': " + e.getMessage(), e));
                }
            });
            checkFailure(failure);
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
            seq++;
        }
        producer.flush();
        checkFailure(failure);
        return new ProducedDocument(docId, seq, bytes);
    }

    private static void checkFailure(AtomicReference<Exception> failure) {
        Exception e = failure.get();
        if (e != null) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }

    /** Options of a producer; {@link #build()} checks them. */
    public static final class Builder {
        private final Properties properties = new Properties();
        private String bootstrapServers;
        private String topic;
        private int chunkBytes = DEFAULT_CHUNK_BYTES;

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
                bootstrapServers = config.settings().get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
            }
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** Largest chunk text in UTF-8 bytes ({@value TextChunker#MIN_MAX_BYTES}..{@value #MAX_CHUNK_BYTES}). */
        public Builder chunkBytes(int chunkBytes) {
            this.chunkBytes = chunkBytes;
            return this;
        }

        /** Any other producer setting ({@code compression.type}, {@code linger.ms}, ...). */
        public Builder property(String key, String value) {
            properties.setProperty(key, value);
            return this;
        }

        public ChunkProducer build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("the chunk producer needs bootstrap servers");
            }
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("the chunk producer needs a topic");
            }
            if (chunkBytes < TextChunker.MIN_MAX_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
                throw new IllegalArgumentException("chunk size must be between " + TextChunker.MIN_MAX_BYTES + " and "
                        + MAX_CHUNK_BYTES + " bytes (Kafka's default message.max.bytes is 1 MiB), got " + chunkBytes);
            }
            return new ChunkProducer(this);
        }
    }
}
