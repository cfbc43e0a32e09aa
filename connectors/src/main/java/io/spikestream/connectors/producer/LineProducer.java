package io.spikestream.connectors.producer;

import io.spikestream.connectors.kafka.client.KafkaClientConfig;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Publishes a text file line by line as plain UTF-8 records (the job's {@code --input-format text}), in file
 * order, idempotently ({@code acks=all}). The key of a line is the first group of {@code keyRegex} where the
 * line matches it (e.g. the service name; with alternatives {@code a(x)|b(y)}, the first group that took part); a line that does not match keeps the key of the line before it, so
 * a stack trace stays with its error; lines before the first match, or all lines without a regex, get the
 * default key. One key maps to one partition, so each key's lines keep their order.
 */
public final class LineProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final Pattern keyRegex;

    /** Where one line went. */
    public record PublishedLine(String key, int partition, long offset) {
    }

    /** What was published: lines per key, and (when asked for) every line's coordinates in file order. */
    public record PublishedLines(long lines, long bytes, Map<String, Long> linesPerKey, List<PublishedLine> coordinates) {
        /** Keys named in {@link #toString()}: the ones with the most lines. */
        static final int SHOWN_KEYS = 10;

        /** "N lines, B bytes, K keys {most lines first, at most ten} and M more". */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(lines + " lines, " + bytes + " bytes, " + linesPerKey.size()
                    + (linesPerKey.size() == 1 ? " key" : " keys") + " {");
            linesPerKey.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(SHOWN_KEYS)
                    .forEach(e -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ", ").append(e.getKey()).append('=').append(e.getValue()));
            sb.append('}');
            if (linesPerKey.size() > SHOWN_KEYS) {
                sb.append(" and ").append(linesPerKey.size() - SHOWN_KEYS).append(" more");
            }
            return sb.toString();
        }
    }

    private LineProducer(KafkaClientConfig client, String topic, Pattern keyRegex) {
        this.topic = topic;
        this.keyRegex = keyRegex;
        Properties p = client.properties();
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** {@code keyRegex} may be null (every line gets the default key); it must have a capturing group. */
    public static LineProducer create(String bootstrapServers, String topic, String keyRegex) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("the line producer needs bootstrap servers");
        }
        return create(KafkaClientConfig.bootstrapOnly(bootstrapServers), topic, keyRegex);
    }

    /** With the user's client settings (TLS, SASL, ...), {@code bootstrap.servers} included. */
    public static LineProducer create(KafkaClientConfig client, String topic, String keyRegex) {
        client.bootstrapServers(); // required
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("the line producer needs a topic");
        }
        Pattern p = keyRegex == null ? null : Pattern.compile(keyRegex);
        if (p != null && p.matcher("").groupCount() < 1) {
            throw new IllegalArgumentException("--key-regex needs a capturing group, the key: e.g. '\\[([a-z]+)-\\d+\\]'; got " + keyRegex);
        }
        return new LineProducer(client, topic, p);
    }

    /** Publishes every line of {@code in}; returns once all are acknowledged (a failed send throws, naming the line). */
    public PublishedLines produce(BufferedReader in, String defaultKey, boolean keepCoordinates) {
        return produce(in, defaultKey, keepCoordinates, (key, line) -> line.getBytes(StandardCharsets.UTF_8));
    }

    /** As {@link #produce(BufferedReader, String, boolean)}, each record's value made of its key and line by {@code value}. */
    public PublishedLines produce(BufferedReader in, String defaultKey, boolean keepCoordinates,
                                  java.util.function.BiFunction<String, String, byte[]> value) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Map<String, Long> perKey = new TreeMap<>();
        String key = defaultKey;
        long lines = 0;
        long bytes = 0;
        java.util.concurrent.atomic.AtomicReference<String> failure = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (keyRegex != null) {
                    Matcher m = keyRegex.matcher(line);
                    if (m.find()) {
                        for (int g = 1; g <= m.groupCount(); g++) {
                            if (m.group(g) != null && !m.group(g).isEmpty()) {
                                key = m.group(g); // alternatives: the group that took part
                                break;
                            }
                        }
                    }
                }
                byte[] record = value.apply(key, line);
                long lineNumber = lines + 1;
                Future<RecordMetadata> f = producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), record), (m, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, "line " + lineNumber + " was not written to topic '" + topic + "': " + e.getMessage());
                    }
                });
                if (failure.get() != null) {
                    throw new IllegalStateException(failure.get());
                }
                if (keepCoordinates) {
                    sent.add(f);
                    keys.add(key);
                }
                perKey.merge(key, 1L, Long::sum);
                lines++;
                bytes += record.length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lines to publish", e);
        }
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        List<PublishedLine> coordinates = new ArrayList<>(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            try {
                RecordMetadata m = sent.get(i).get();
                coordinates.add(new PublishedLine(keys.get(i), m.partition(), m.offset()));
            } catch (ExecutionException e) {
                throw new IllegalStateException("line " + (i + 1) + " was not written to topic '" + topic + "': " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while publishing lines", e);
            }
        }
        return new PublishedLines(lines, bytes, perKey, coordinates);
    }

    @Override
    public void close() {
        producer.close();
    }
}
