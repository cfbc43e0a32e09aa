package io.spikestream.cli.bench;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.cli.job.LocalJob;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.records.AvroCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * How long a line waits, in a running job with a steady input, from being sent to Kafka until its enrichment is
 * committed (visible to a read_committed consumer): lines at a fixed rate, each matched to its RECORD enrichment
 * by partition and offset.
 */
final class CommitLatency {
    private static final String INPUT = "latency-logs";
    private static final String OUTPUT = "latency-enrichments";

    private final String bootstrap;
    private final Path model;
    private final Path dir;
    private final List<String> jobArgs;
    private final PrintStream out;

    record Result(long p50, long p99, long max, Duration checkpointInterval, Duration bundleTime) {
    }

    CommitLatency(String bootstrap, Path model, Path dir, List<String> jobArgs, PrintStream out) {
        this.bootstrap = bootstrap;
        this.model = model;
        this.dir = dir;
        this.jobArgs = jobArgs;
        this.out = out;
    }

    Result measure(int seconds, int rate, List<TextPipelineBench.KeyedLine> log) throws Exception {
        int partitions = Runtime.getRuntime().availableProcessors();
        KafkaTopics.ensure(bootstrap, partitions, List.of(INPUT, OUTPUT, "latency-queries", "latency-rejected", "latency-alerts"));
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", bootstrap, "--model", model.toAbsolutePath().toString(),
                "--input-format", "text", "--documents-topic", INPUT, "--queries-topic", "latency-queries", "--enrichments-topic", OUTPUT,
                "--rejected-topic", "latency-rejected", "--alerts-topic", "latency-alerts", "--checkpoint-dir", dir.resolve("latency-checkpoints").toString(),
                "--group-id", "latency", "--transactional-id-prefix", "latency"));
        args.addAll(jobArgs);
        JobOptions options = JobOptions.parse(args.toArray(String[]::new));
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        List<Long> latencies = new ArrayList<>();
        int total = Math.min(log.size(), seconds * rate);
        try (LocalJob job = LocalJob.start(options, 0);
             KafkaConsumer<byte[], byte[]> consumer = consumer();
             KafkaProducer<byte[], byte[]> producer = producer()) {
            awaitRunning(job);
            long start = System.nanoTime();
            int sent = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + options.checkpointInterval().toSeconds() * 3 + 60);
            while (latencies.size() < total) {
                long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
                for (; sent < due; sent++) {
                    TextPipelineBench.KeyedLine l = log.get(sent);
                    long at = System.nanoTime();
                    producer.send(new ProducerRecord<>(INPUT, l.key().getBytes(StandardCharsets.UTF_8), l.line().getBytes(StandardCharsets.UTF_8)),
                            (meta, e) -> {
                                if (e == null) {
                                    sentAt.put(meta.partition() + ":" + meta.offset(), at);
                                }
                            });
                }
                producer.flush();
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    Enrichment e = AvroCodec.enrichment().decode(r.value());
                    if (e.getKind() == EnrichmentKind.RECORD) {
                        Long at = sentAt.get(e.getPartition() + ":" + e.getOffset());
                        if (at != null) {
                            latencies.add((now - at) / 1_000_000);
                        }
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("gave up: " + latencies.size() + " of " + total + " lines committed");
                }
            }
            job.client().cancel().get(60, TimeUnit.SECONDS);
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        Result r = new Result(at(sorted, 0.5), at(sorted, 0.99), sorted[sorted.length - 1], options.checkpointInterval(), options.bundles().time());
        out.printf(Locale.ROOT, "commit latency: %,d lines at %d/s: p50 %,d ms, p99 %,d ms, max %,d ms (checkpoints every %s, bundle time %s)%n",
                sorted.length, rate, r.p50(), r.p99(), r.max(), options.checkpointInterval(), options.bundles().time());
        return r;
    }

    private static long at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static void awaitRunning(LocalJob job) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (job.client().getJobStatus().get(10, TimeUnit.SECONDS) != org.apache.flink.api.common.JobStatus.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the latency job did not start");
            }
            Thread.sleep(100);
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor(OUTPUT).forEach(i -> parts.add(new TopicPartition(OUTPUT, i.partition())));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }
}
