package io.spikestream.cli.bench;

import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.cli.job.JobProgress;
import io.spikestream.cli.job.LocalJob;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.trainer.corpus.LogGenerator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * {@code bench-pipeline --input-format text}: a generated log of N lines, each event (a line, or an error with
 * its stack trace) sent by one of K clients (its Kafka key, chosen at random with the seed), scored by the engine
 * alone as {@code score-lines} does (one document, batches of lines) and by the job (bounded, one document per
 * client) in the same run; the job's rate is its own summary's (tokens from RUNNING to FINISHED).
 */
final class TextPipelineBench {
    private final Path model;
    private final int keys;
    private final int lines;
    private final long seed;
    private final List<String> jobArgs;
    private final PrintStream out;
    private int latencySeconds;
    private int rate;

    /** After the throughput run: the job unbounded, lines at {@code rate} per second for {@code seconds}, each line's commit latency. */
    TextPipelineBench latency(int seconds, int rate) {
        if (seconds < 0 || rate < 1) {
            throw new IllegalArgumentException("--latency-seconds must be >= 0 and --rate positive");
        }
        this.latencySeconds = seconds;
        this.rate = rate;
        return this;
    }

    TextPipelineBench(Path model, int keys, int lines, long seed, List<String> jobArgs, PrintStream out) {
        if (keys < 1 || lines < 1) {
            throw new IllegalArgumentException("--keys and --lines must be positive");
        }
        this.model = model;
        this.keys = keys;
        this.lines = lines;
        this.seed = seed;
        this.jobArgs = jobArgs;
        this.out = out;
    }

    /** One line of the log and the client that sent it. */
    record KeyedLine(String key, String line) {
    }

    /** The log: whole events, each from one of the clients (10.x.y.z addresses, uniformly). */
    static List<KeyedLine> log(int lines, int keys, long seed) {
        LogGenerator generator = new LogGenerator(seed);
        SplittableRandom clients = new SplittableRandom(seed * 31 + 7);
        List<KeyedLine> out = new ArrayList<>(lines + 8);
        while (out.size() < lines) {
            int c = clients.nextInt(keys);
            String key = String.format(Locale.ROOT, "10.%d.%d.%d", c >> 16 & 255, c >> 8 & 255, c & 255);
            for (String l : generator.next()) {
                if (out.size() < lines) {
                    out.add(new KeyedLine(key, l));
                }
            }
        }
        return out;
    }

    int run(Path dir) throws Exception {
        List<KeyedLine> log = log(lines, keys, seed);
        List<String> text = log.stream().map(KeyedLine::line).toList();
        long distinct = log.stream().map(KeyedLine::key).distinct().count();
        out.printf(Locale.ROOT, "# SpikeStream bench-pipeline (text): %s, %,d lines from %,d clients (%d asked), seed %d; %s%n", model, lines,
                distinct, keys, seed, ModelBenchmark.jdk());

        long engineTokens = 0;
        double engineSeconds;
        try (Engine engine = Engine.load(model, EngineOptions.defaults())) {
            long start = System.nanoTime();
            List<LineScore> scored = LineScorer.scoreAll(engine, engine.newDocument(), text);
            engineSeconds = (System.nanoTime() - start) / 1e9;
            for (LineScore l : scored) {
                engineTokens += l.tokenEnd() - l.tokenStart();
            }
        }
        double engineRate = engineTokens / engineSeconds;
        out.printf(Locale.ROOT, "engine alone (score-lines): %,d tokens in %.1f s = %,.0f tokens/s (%d threads)%n", engineTokens, engineSeconds,
                engineRate, Runtime.getRuntime().availableProcessors());

        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start()) {
            String bootstrap = kafka.bootstrapServers();
            int partitions = Runtime.getRuntime().availableProcessors();
            List<String> topics = List.of("bench-logs", "bench-queries", "bench-enrichments", "bench-rejected", "bench-alerts");
            KafkaTopics.ensure(bootstrap, partitions, topics);
            produce(bootstrap, log);
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers", bootstrap, "--model", model.toAbsolutePath().toString(),
                    "--input-format", "text", "--documents-topic", "bench-logs", "--queries-topic", "bench-queries",
                    "--enrichments-topic", "bench-enrichments", "--rejected-topic", "bench-rejected", "--alerts-topic", "bench-alerts",
                    "--checkpoint-dir", dir.resolve("checkpoints").toString(), "--group-id", "bench", "--transactional-id-prefix", "bench",
                    "--bounded"));
            args.addAll(jobArgs);
            JobOptions options = JobOptions.parse(args.toArray(String[]::new));
            LocalJob.Outcome outcome;
            try (LocalJob job = LocalJob.start(options, 0)) {
                outcome = job.await(Duration.ofSeconds(10), System.err);
            }
            JobProgress p = outcome.progress();
            if (p.tokens() != engineTokens || p.records() != lines) {
                throw new IllegalStateException("the job scored " + p.records() + " records, " + p.tokens() + " tokens; the engine alone "
                        + lines + " lines, " + engineTokens + " tokens");
            }
            double jobRate = p.tokens() / outcome.seconds();
            double written = (double) p.stateBytesWritten() / p.records();
            out.printf(Locale.ROOT, "job: %,d records, %,d tokens in %.1f s (RUNNING to FINISHED) = %,.0f tokens/s = %.2fx the engine alone; "
                    + "state written %,.0f B per record; bundles %d records / %s%n", p.records(), p.tokens(), outcome.seconds(), jobRate,
                    jobRate / engineRate, written, options.bundles().size(), options.bundles().time());
            String latencies = "";
            if (latencySeconds > 0) {
                CommitLatency.Result l = new CommitLatency(bootstrap, model, dir, jobArgs, out).measure(latencySeconds, rate, log);
                latencies = String.format(Locale.ROOT, ", \"latency_p50_ms\": %d, \"latency_p99_ms\": %d, \"latency_max_ms\": %d, "
                        + "\"checkpoint_interval_ms\": %d, \"bundle_time_ms\": %d", l.p50(), l.p99(), l.max(), l.checkpointInterval().toMillis(),
                        l.bundleTime().toMillis());
            }
            out.printf(Locale.ROOT, "{\"input_format\": \"text\", \"keys\": %d, \"lines\": %d, \"tokens\": %d, \"engine_tokens_per_second\": %.1f, "
                            + "\"job_tokens_per_second\": %.1f, \"ratio\": %.4f, \"job_seconds\": %.3f, \"state_bytes_written_per_record\": %.1f, "
                            + "\"bundle_size\": %d%s}%n", distinct, lines, p.tokens(), engineRate, jobRate, jobRate / engineRate, outcome.seconds(),
                    written, options.bundles().size(), latencies);
        }
        return 0;
    }

    private static void produce(String bootstrap, List<KeyedLine> log) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "20");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>(log.size());
            for (KeyedLine l : log) {
                sent.add(producer.send(new ProducerRecord<>("bench-logs", l.key().getBytes(StandardCharsets.UTF_8), l.line().getBytes(StandardCharsets.UTF_8))));
            }
            producer.flush();
            for (java.util.concurrent.Future<?> f : sent) {
                f.get(); // a record lost here would make the measured run shorter than it claims
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("producing the bench's input failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing the bench's input", e);
        }
    }
}
