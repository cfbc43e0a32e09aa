package io.spikestream.cli.bench;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.records.AvroCodec;
import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.producer.ChunkProducer;
import io.spikestream.connectors.producer.ProducedDocument;
import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import io.spikestream.trainer.corpus.LogGenerator;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./spikestream bench-pipeline}: one generated log document of about N tokens through the whole pipeline
 * (embedded Kafka, the job on a MiniCluster with RocksDB and exactly-once checkpoints, committed output read
 * back), against the engine alone on the same text in the same run. Reports time per million tokens, the
 * state size seen in each million, checkpoint sizes, memory, and ends with one JSON line.
 */
@Command(name = "bench-pipeline", mixinStandardHelpOptions = true,
        description = {"One generated log document of about N tokens through embedded Kafka + the job, and through the engine alone,",
            "in one run: tokens/s per million tokens, state and checkpoint bytes; last line: one JSON object.",
            "With --input-format text: a log of --lines lines from --keys clients (one Kafka record per line, keyed by client),",
            "the engine alone as score-lines scores it against the job's own summary; last line: one JSON object with the ratio."})
public final class PipelineBenchCommand implements Callable<Integer> {
    private static final long MILLION = 1_000_000;

    @Option(names = "--model", required = true, description = "A gla_swa model directory with a tokenizer.")
    Path model;

    @Option(names = "--tokens", defaultValue = "1000000", description = "Tokens of the generated document (default 1000000).")
    long tokens;

    @Option(names = "--parallelism", description = "Job parallelism (default: Avro 1, one document is one subtask's work; text: the job's default, the cores).")
    Integer parallelism;

    @Option(names = "--input-format", defaultValue = "avro", description = "avro (one document in chunks, the default) or text (a record per line).")
    String inputFormat;

    @Option(names = "--keys", defaultValue = "1000", description = "Text: clients (Kafka keys, documents) the log's events come from (default 1000).")
    int keys;

    @Option(names = "--lines", defaultValue = "40000", description = "Text: lines of the log (default 40000).")
    int lines;

    @Option(names = "--bundle-size", description = "The job's --bundle-size (default: the job's).")
    Integer bundleSize;

    @Option(names = "--bundle-time", description = "The job's --bundle-time (default: the job's).")
    String bundleTime;

    @Option(names = "--bundle-chars", description = "The job's --bundle-chars (default: the job's).")
    Long bundleChars;

    @Option(names = "--engine-threads", description = "The job's --engine-threads (default: the job's).")
    Integer engineThreads;

    @Option(names = "--latency-seconds", defaultValue = "0", description = {"Text: then run the job unbounded with lines at --rate per second for",
        "this long and report how long each line takes from Kafka to its committed enrichment (default 0: not measured)."})
    int latencySeconds;

    @Option(names = "--rate", defaultValue = "200", description = "Text: lines per second of the latency run (default 200).")
    int rate;

    @Option(names = "--chunk-bytes", defaultValue = "16384", description = "Producer chunk size (default 16384: enough chunk ends per million tokens to see every position of a GLA block).")
    int chunkBytes;

    @Option(names = "--checkpoint-interval", description = "Checkpoint interval (default: Avro 2s; text: the job's, 10s).")
    String checkpointInterval;

    @Option(names = "--seed", defaultValue = "4", description = "Log generator seed (default 4).")
    long seed;

    @Option(names = "--work-dir", description = "Kafka data and checkpoints (default: a temporary directory, deleted at the end).")
    Path workDir;

    @Option(names = "--timeout", defaultValue = "7200", description = "Give up after this many seconds (default 7200).")
    int timeoutSeconds;

    /** One committed CHUNK record as the reader saw it. */
    private record Arrival(long tokenEnd, long stateBytes, long nanos) {
    }

    @Override
    public Integer call() throws Exception {
        if (inputFormat.equals("text")) {
            return text();
        }
        if (!inputFormat.equals("avro")) {
            throw new IllegalArgumentException("--input-format is avro or text, got " + inputFormat);
        }
        if (parallelism == null) {
            parallelism = 1;
        }
        if (checkpointInterval == null) {
            checkpointInterval = "2s";
        }
        if (tokens < 1) {
            throw new IllegalArgumentException("--tokens must be positive");
        }
        Tokenizer tokenizer = Tokenizer.load(model);
        System.out.printf(Locale.ROOT, "# SpikeStream bench-pipeline: %s, about %,d tokens, parallelism %d, chunks of %d bytes, checkpoints every %s; %s%n",
                model, tokens, parallelism, chunkBytes, checkpointInterval, ModelBenchmark.jdk());
        String text = document(tokenizer);
        List<String> chunks = new ArrayList<>();
        new TextChunker(chunkBytes).chunks(text).forEachRemaining(chunks::add);
        System.out.printf(Locale.ROOT, "# document: %,d bytes in %d chunks%n", text.getBytes(StandardCharsets.UTF_8).length, chunks.size());

        double engineRate = engineAlone(chunks);
        boolean temporary = workDir == null;
        Path dir = temporary ? Files.createTempDirectory("spikestream-bench-pipeline-") : workDir.toAbsolutePath();
        try {
            return pipeline(dir, text, engineRate);
        } finally {
            if (temporary) {
                org.apache.flink.util.FileUtils.deleteDirectory(dir.toFile());
            }
        }
    }

    /** The job's options given to this command. */
    private List<String> jobOptions() {
        List<String> jobArgs = new ArrayList<>();
        if (bundleSize != null) {
            jobArgs.addAll(List.of("--bundle-size", bundleSize.toString()));
        }
        if (bundleTime != null) {
            jobArgs.addAll(List.of("--bundle-time", bundleTime));
        }
        if (bundleChars != null) {
            jobArgs.addAll(List.of("--bundle-chars", bundleChars.toString()));
        }
        if (engineThreads != null) {
            jobArgs.addAll(List.of("--engine-threads", engineThreads.toString()));
        }
        return jobArgs;
    }

    private int text() throws Exception {
        List<String> jobArgs = jobOptions();
        if (parallelism != null) {
            jobArgs.addAll(List.of("--parallelism", parallelism.toString()));
        }
        if (checkpointInterval != null) {
            jobArgs.addAll(List.of("--checkpoint-interval", checkpointInterval));
        }
        boolean temporary = workDir == null;
        Path dir = temporary ? Files.createTempDirectory("spikestream-bench-pipeline-") : workDir.toAbsolutePath();
        try {
            return new TextPipelineBench(model, keys, lines, seed, jobArgs, System.out).latency(latencySeconds, rate).run(dir);
        } finally {
            if (temporary) {
                org.apache.flink.util.FileUtils.deleteDirectory(dir.toFile());
            }
        }
    }

    /** Whole events of the log generator until the text holds at least the asked tokens. */
    private String document(Tokenizer tokenizer) {
        LogGenerator generator = new LogGenerator(seed);
        StringBuilder sb = new StringBuilder();
        long count = 0;
        while (count < tokens) {
            StringBuilder batch = new StringBuilder();
            for (String line : generator.lines(2000)) {
                batch.append(line).append('\n');
            }
            // Lines end with a newline, which ends a pre-token: counting per batch equals counting the whole.
            count += tokenizer.encode(batch.toString(), TokenizerMode.LITERAL).length;
            sb.append(batch);
        }
        return sb.toString();
    }

    /** The engine alone on the same chunks (the streaming API the operator calls), tokens/s. */
    private double engineAlone(List<String> chunks) {
        try (Engine engine = Engine.load(model, EngineOptions.defaults())) {
            DocumentState doc = engine.newDocument();
            long start = System.nanoTime();
            long next = MILLION;
            for (int i = 0; i < chunks.size(); i++) {
                engine.advanceText(doc, chunks.get(i), i == chunks.size() - 1);
                if (doc.position() >= next) {
                    System.out.printf(Locale.ROOT, "engine alone   %,10d tokens  %6.1f s%n", doc.position(), (System.nanoTime() - start) / 1e9);
                    next += MILLION;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = doc.position() / seconds;
            System.out.printf(Locale.ROOT, "engine alone: %,d tokens in %.1f s = %,.0f tokens/s%n", doc.position(), seconds, rate);
            return rate;
        }
    }

    private int pipeline(Path dir, String text, double engineRate) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start()) {
            String bootstrap = kafka.bootstrapServers();
            KafkaTopics.ensure(bootstrap, 1, Topics.ALL);
            Path checkpoints = dir.resolve("checkpoints");
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers", bootstrap, "--model", model.toAbsolutePath().toString(),
                    "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", checkpointInterval,
                    "--checkpoint-dir", checkpoints.toString(), "--group-id", "bench", "--transactional-id-prefix", "bench"));
            args.addAll(jobOptions());
            JobOptions options = JobOptions.parse(args.toArray(String[]::new));
            JobClient job = SpikeStreamJob.start(options);
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
                long start = System.nanoTime();
                ProducedDocument produced;
                try (ChunkProducer producer = ChunkProducer.builder().bootstrapServers(bootstrap).topic(Topics.DOCUMENTS)
                        .chunkBytes(chunkBytes).build()) {
                    produced = producer.produce("bench", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Map.of());
                }
                List<Arrival> arrivals = read(consumer, job, produced.chunks(), start);
                double seconds = (arrivals.get(arrivals.size() - 1).nanos - start) / 1e9;
                job.cancel().get(60, TimeUnit.SECONDS);
                report(arrivals, start, seconds, engineRate, checkpoints);
            } catch (Exception e) {
                try {
                    job.cancel().get(60, TimeUnit.SECONDS);
                } catch (Exception cancel) {
                    e.addSuppressed(cancel);
                }
                throw e;
            }
        }
        return 0;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "spikestream-bench-" + UUID.randomUUID());
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        c.partitionsFor(Topics.ENRICHMENTS).forEach(i -> parts.add(new TopicPartition(Topics.ENRICHMENTS, i.partition())));
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** Committed CHUNK records until the document's END; a line per million tokens as they arrive. */
    private List<Arrival> read(KafkaConsumer<byte[], byte[]> consumer, JobClient job, long chunks, long start) throws Exception {
        List<Arrival> arrivals = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long next = MILLION;
        boolean ended = false;
        while (!ended) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gave up after " + timeoutSeconds + " s with " + arrivals.size() + " of " + chunks + " chunks committed");
            }
            if (job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                throw new IllegalStateException("the job ended (" + job.getJobStatus().get() + ") before the document's END record");
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                Enrichment e = AvroCodec.enrichment().decode(r.value());
                long now = System.nanoTime();
                if (e.getKind() == EnrichmentKind.CHUNK) {
                    arrivals.add(new Arrival(e.getTokenEnd(), e.getStateBytes(), now));
                    while (e.getTokenEnd() >= next) {
                        System.out.printf(Locale.ROOT, "pipeline       %,10d tokens  %6.1f s   state %,d B   RSS %,d MB%n", e.getTokenEnd(),
                                (now - start) / 1e9, e.getStateBytes(), rssBytes() >> 20);
                        next += MILLION;
                    }
                } else if (e.getKind() == EnrichmentKind.END) {
                    ended = true;
                }
            }
        }
        if (arrivals.isEmpty()) {
            throw new IllegalStateException("no CHUNK record was committed");
        }
        return arrivals;
    }

    private void report(List<Arrival> arrivals, long start, double seconds, double engineRate, Path checkpoints) throws IOException {
        long total = arrivals.get(arrivals.size() - 1).tokenEnd;
        double rate = total / seconds;
        // Full millions, and a remainder of at least a tenth of one as its own row (a smaller one joins the last).
        long millions = Math.max(1, total % MILLION >= MILLION / 10 ? total / MILLION + 1 : total / MILLION);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-11s %16s %12s %16s%n", "million", "tokens/s", "s/million", "largest state B");
        double[] perToken = new double[(int) millions];
        long[] largestState = new long[(int) millions];
        for (int m = 0; m < millions; m++) {
            long lo = m * MILLION;
            long hi = m == millions - 1 ? total : Math.min(total, (m + 1) * MILLION);
            double t0 = timeAt(arrivals, lo, start);
            double t1 = timeAt(arrivals, hi, start);
            perToken[m] = (t1 - t0) / Math.max(1, hi - lo);
            for (Arrival a : arrivals) {
                if (a.tokenEnd > lo && a.tokenEnd <= hi) {
                    largestState[m] = Math.max(largestState[m], a.stateBytes);
                }
            }
            System.out.printf(Locale.ROOT, "%-11s %16.0f %12.1f %16d%n", (m + 1) + (hi - lo != MILLION ? " (" + (hi - lo) + ")" : ""),
                    perToken[m] > 0 ? 1 / perToken[m] : 0, perToken[m] * MILLION, largestState[m]);
        }
        // The second million [1M, 2M) against the last one [total - 1M, total) (a document under 2M tokens:
        // its first and second halves).
        long window = total >= 2 * MILLION ? MILLION : Math.max(1, total / 2);
        long secondFrom = total >= 2 * MILLION ? MILLION : 0;
        double secondTime = timeAt(arrivals, secondFrom + window, start) - timeAt(arrivals, secondFrom, start);
        double lastTime = timeAt(arrivals, total, start) - timeAt(arrivals, total - window, start);
        double flatness = secondTime > 0 ? lastTime / secondTime : 1;
        long stateFirst = largestState(arrivals, secondFrom, secondFrom + window);
        long stateLast = largestState(arrivals, total - window, total);
        long checkpointBytes = directoryBytes(checkpoints);
        System.out.printf(Locale.ROOT, "pipeline: %,d tokens in %.1f s = %,.0f tokens/s end to end (publish -> committed output) = %.2fx the "
                + "engine alone (%,.0f tokens/s); flatness %.3f (time per token of the last million / of the second); retained checkpoints "
                + "%,d B; RSS %,d MB%n", total, seconds, rate, rate / engineRate, engineRate, flatness, checkpointBytes, rssBytes() >> 20);
        System.out.printf(Locale.ROOT, "{\"tokens\": %d, \"tokens_per_second\": %.1f, \"engine_tokens_per_second\": %.1f, \"flatness\": %.4f, "
                        + "\"state_bytes_first\": %d, \"state_bytes_last\": %d, \"ratio\": %.4f, \"seconds\": %.1f, \"checkpoint_bytes\": %d}%n",
                total, rate, engineRate, flatness, stateFirst, stateLast, rate / engineRate, seconds, checkpointBytes);
    }

    /** The largest state of the CHUNK records that end inside (from, to]. */
    private static long largestState(List<Arrival> arrivals, long from, long to) {
        long max = 0;
        for (Arrival a : arrivals) {
            if (a.tokenEnd > from && a.tokenEnd <= to) {
                max = Math.max(max, a.stateBytes);
            }
        }
        return max;
    }

    /** When the output had covered {@code position} tokens (interpolated inside the chunk that covers it). */
    private static double timeAt(List<Arrival> arrivals, long position, long start) {
        long prevEnd = 0;
        long prevNanos = start;
        for (Arrival a : arrivals) {
            if (a.tokenEnd >= position) {
                double f = a.tokenEnd == prevEnd ? 1 : (double) (position - prevEnd) / (a.tokenEnd - prevEnd);
                return (prevNanos + f * (a.nanos - prevNanos) - start) / 1e9;
            }
            prevEnd = a.tokenEnd;
            prevNanos = a.nanos;
        }
        return (prevNanos - start) / 1e9;
    }

    private static long directoryBytes(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    /** Resident set size of this process (Linux), 0 elsewhere. */
    private static long rssBytes() {
        Path status = Path.of("/proc/self/status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
