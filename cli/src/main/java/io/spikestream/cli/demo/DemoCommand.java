package io.spikestream.cli.demo;

import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.QueryKind;
import io.spikestream.records.AvroCodec;
import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.producer.ChunkProducer;
import io.spikestream.connectors.producer.ProducedDocument;
import io.spikestream.engine.ModelCheck;
import io.spikestream.operator.job.Checkpoints;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.SpikeStreamJob;
import io.spikestream.trainer.corpus.AnomalyInjector;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./spikestream demo}: the whole product on one machine with no setup. An embedded KRaft broker, the
 * job on a local Flink MiniCluster (RocksDB, exactly-once checkpoints), the bundled documents published in
 * chunks, enrichments printed as their transactions commit, questions asked of the ended documents, a summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run everything locally: embedded Kafka, the Flink job, the bundled documents, and print the results.",
            "Default model: models/demo-logs (trained on generated service logs); without it, random weights (scores NOT meaningful)."})
public final class DemoCommand implements Callable<Integer> {
    /** The bundled documents (resources under io/spikestream/demo/documents), published after the generated log. */
    static final List<String> BUNDLED = List.of("master-services-agreement.txt", "incident-report.md");
    static final long LOG_SEED = 2026;
    static final double LOG_ANOMALY_RATE = 0.01;
    static final int LOG_LINES = 2500;
    /** Topics of the documents' own job (when they have their own model). */
    static final String LEGAL_DOCUMENTS = "documents-legal";
    static final String LEGAL_QUERIES = "queries-legal";

    @Option(names = "--model", description = "A gla_swa model directory (config.json, safetensors, tokenizer). Default: models/demo-logs, or a generated random model if it is missing.")
    Path model;

    @Option(names = "--document-model", description = {"Model for the bundled agreement and incident report, run as a second job on their own",
        "topics: default models/demo-legal (trained on licence texts and copyright files) when present; 'none' scores them with --model.",
        "Not used with --documents."})
    String documentModel;

    @Option(names = "--work-dir", description = "Where Kafka data, checkpoints and the generated model go (default: a temporary directory, deleted at the end).")
    Path workDir;

    @Option(names = "--documents", arity = "1..*", description = "Documents to publish instead of the generated log and bundled ones (one per file).")
    List<Path> documents;

    @Option(names = "--parallelism", defaultValue = "2", description = "Job parallelism (default 2).")
    int parallelism;

    @Option(names = "--chunk-bytes", defaultValue = "4096", description = "Chunk size the producer cuts documents into (default 4096).")
    int chunkBytes;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", description = "Checkpoint interval; output commits at each (default 1s).")
    String checkpointInterval;

    @Option(names = "--timeout", defaultValue = "600", description = "Give up after this many seconds (default 600).")
    int timeoutSeconds;

    @Option(names = "--sql", description = {"Only the Flink SQL act: the generated log as JSON records, the README's script (alerts.sql:",
        "a Kafka table, score_lines, a Kafka sink of the alerts) run by Flink's SQL Client (./spikestream sql)."})
    boolean sql;

    @Option(names = "--log-lines", defaultValue = "2500", description = "Lines of the generated service log (default 2500).")
    int logLines;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        boolean temporary = workDir == null;
        Path dir = temporary ? Files.createTempDirectory("spikestream-demo-") : workDir.toAbsolutePath();
        Files.createDirectories(dir);
        try {
            return run(out, dir);
        } finally {
            if (temporary) {
                deleteRecursively(dir);
            }
        }
    }

    private int run(PrintWriter out, Path dir) throws Exception {
        out.println("SpikeStream demo  (work directory " + dir + ")");
        Path modelDir;
        Path trained = model == null ? shippedModel() : null;
        boolean random = model == null && trained == null;
        if (trained != null) {
            modelDir = trained;
            out.println("  model   " + modelDir + " (trained by ./spikestream train on generated service logs; see README)");
        } else if (model == null) {
            long t = System.nanoTime();
            modelDir = DemoModel.write(dir.resolve("model"));
            out.printf("  model   generated gla_swa: hidden %d, %d layers (SWA at %d and %d, window %d), Qwen2 tokenizer (%.1f s)%n",
                    DemoModel.HIDDEN, DemoModel.LAYERS, DemoModel.ATTENTION_LAYERS[0], DemoModel.ATTENTION_LAYERS[1], DemoModel.WINDOW,
                    (System.nanoTime() - t) / 1e9);
            out.println("  !!      RANDOM WEIGHTS: the surprisal scores, answers and labels below are NOT meaningful.");
            out.println("          They show the pipeline working; run with --model DIR for a trained checkpoint.");
        } else {
            modelDir = model.toAbsolutePath();
            out.println("  model   " + modelDir);
        }
        ModelCheck.requireUsable(modelDir); // before the broker and the job: a bad model is one clear message, at once
        Path docModel = documentModel();
        if (docModel != null) {
            ModelCheck.requireUsable(docModel);
            out.println("  model   " + docModel + " for the agreement and the incident report (trained by ./spikestream train on licence"
                    + " texts and copyright files; see README)");
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir.resolve("kafka")).start()) {
            String bootstrap = kafka.bootstrapServers();
            List<String> topics = new ArrayList<>(Topics.ALL);
            if (docModel != null) {
                topics.addAll(List.of(LEGAL_DOCUMENTS, LEGAL_QUERIES));
            }
            KafkaTopics.ensure(bootstrap, 2, topics);
            out.println("  kafka   embedded KRaft broker at " + bootstrap + ", topics " + topics);
            if (sql) {
                SqlAct.Result r = SqlAct.run(bootstrap, dir, modelDir, documents().get(0), out);
                out.println();
                out.printf(Locale.ROOT, "  act sql          %,d records -> %d alerts in %.1f s (Flink SQL Client, local MiniCluster)%n", r.lines(), r.alerts(), r.seconds());
                out.printf(Locale.ROOT, "  alerts           %d of %d alerts on injected lines, %d of %d injected lines alerted, %d of %d events alerted%n",
                        r.truePositives(), r.alerts(), r.anomaliesAlerted(), r.anomalies(), r.eventsAlerted(), r.anomalies());
                return 0;
            }
            Path checkpoints = dir.resolve("checkpoints");
            JobOptions options = JobOptions.parse("--bootstrap-servers", bootstrap, "--model", modelDir.toString(),
                    "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", checkpointInterval,
                    "--checkpoint-dir", checkpoints.toString(), "--group-id", "demo", "--transactional-id-prefix", "demo");
            List<JobClient> jobs = new ArrayList<>();
            JobClient job = SpikeStreamJob.start(options);
            jobs.add(job);
            out.printf("  flink   local MiniCluster, job %s, parallelism %d, RocksDB, exactly-once checkpoints every %d ms%n",
                    job.getJobID(), parallelism, options.checkpointInterval().toMillis());
            if (docModel != null) {
                // the documents' model is a second job on its own topics, writing to the same enrichments topic
                JobOptions legal = JobOptions.parse("--bootstrap-servers", bootstrap, "--model", docModel.toString(), "--parallelism", "1",
                        "--documents-topic", LEGAL_DOCUMENTS, "--queries-topic", LEGAL_QUERIES, "--alert-threshold", "off", "--segment", "paragraph",
                        "--checkpoint-interval", checkpointInterval, "--checkpoint-dir", dir.resolve("checkpoints-legal").toString(),
                        "--group-id", "demo-legal", "--transactional-id-prefix", "demo-legal");
                try {
                    jobs.add(SpikeStreamJob.start(legal));
                } catch (Exception e) {
                    cancelQuietly(job, e);
                    throw e;
                }
                out.printf("  flink   second local MiniCluster, job %s (the documents' model, topics %s and %s), parallelism 1%n",
                        jobs.get(1).getJobID(), LEGAL_DOCUMENTS, LEGAL_QUERIES);
            }
            JobWatch watch = JobWatch.ofAny(jobs);
            out.println();
            List<DemoDocument> docs = documents();
            try (DemoMonitor monitor = new DemoMonitor(bootstrap, out, docs)) {
                monitor.start();
                Instant started = Instant.now();
                List<ProducedDocument> produced = publish(bootstrap, out, docs, docModel != null);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
                List<String> ids = produced.stream().map(ProducedDocument::docId).toList();
                monitor.awaitEnded(ids, deadline, watch);
                Duration streaming = Duration.between(started, Instant.now());
                List<String> queryIds = ask(bootstrap, ids, out, docModel != null);
                monitor.awaitAnswers(queryIds, deadline, watch);
                for (JobClient j : jobs) {
                    j.cancel().get(30, TimeUnit.SECONDS);
                }
                out.println();
                out.println(monitor.summary(produced, streaming, latestCheckpoint(checkpoints), random));
            } catch (Exception e) {
                for (JobClient j : jobs) {
                    cancelQuietly(j, e);
                }
                throw e;
            }
            if (documents == null) {
                LinesAct.Result r = LinesAct.run(bootstrap, dir, modelDir, docs.get(0), parallelism, checkpointInterval, out,
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds));
                out.println();
                out.printf(Locale.ROOT, "  act 3            %,d lines -> %,d RECORD enrichments in %.1f s; %d alerts above %s%n", r.lines(),
                        r.records(), r.seconds(), r.alerts(), r.threshold());
                out.printf(Locale.ROOT, "  alerts           precision %.3f (%d of %d alerts on injected lines), recall %.3f (%d of %d injected lines alerted)%n",
                        r.precision(), r.truePositives(), r.alerts(), r.recall(), r.anomaliesAlerted(), r.anomalies());
                out.printf(Locale.ROOT, "  alerts by event  precision %.3f (%d of %d alerts in injected events), recall %.3f (%d of %d events alerted)%n",
                        r.eventPrecision(), r.alertsInEvents(), r.alerts(), r.eventRecall(), r.eventsAlerted(), r.anomalies());
            }
        }
        return 0;
    }

    /** The documents' own topics when they have their own model: all but the generated log. */
    private static boolean legal(String docId, boolean separate) {
        return separate && !docId.equals("service-log");
    }

    private List<ProducedDocument> publish(String bootstrap, PrintWriter out, List<DemoDocument> docs, boolean separate) throws IOException {
        List<ProducedDocument> produced = new ArrayList<>();
        try (ChunkProducer producer = ChunkProducer.builder().bootstrapServers(bootstrap).topic(Topics.DOCUMENTS).chunkBytes(chunkBytes).build();
             ChunkProducer legal = ChunkProducer.builder().bootstrapServers(bootstrap).topic(LEGAL_DOCUMENTS).chunkBytes(chunkBytes).build()) {
            for (DemoDocument d : docs) {
                produced.add((legal(d.docId(), separate) ? legal : producer).produce(d.docId(),
                        new java.io.ByteArrayInputStream(d.text().getBytes(StandardCharsets.UTF_8)), Map.of("source", "demo")));
            }
        }
        for (ProducedDocument d : produced) {
            out.printf("published %-28s %3d chunks, %,7d bytes -> topic %s%n", d.docId(), d.chunks(), d.bytes(),
                    legal(d.docId(), separate) ? LEGAL_DOCUMENTS : Topics.DOCUMENTS);
        }
        out.println("enrichments, as their Kafka transactions commit (read_committed):");
        return produced;
    }

    /**
     * What the demo publishes: the given files, or a generated service log with a few injected anomalies
     * (seeded: the same every run) and the bundled agreement and incident report.
     */
    private List<DemoDocument> documents() throws IOException {
        List<DemoDocument> docs = new ArrayList<>();
        if (documents != null) {
            for (Path p : documents) {
                docs.add(DemoDocument.of(docId(p.getFileName().toString()), Files.readString(p, StandardCharsets.UTF_8), chunkBytes, List.of()));
            }
            return docs;
        }
        AnomalyInjector.LabelledLog log = new AnomalyInjector(LOG_SEED, LOG_ANOMALY_RATE).generate(logLines);
        docs.add(DemoDocument.of("service-log", String.join("\n", log.lines()) + "\n", chunkBytes, log.injections()));
        for (String name : BUNDLED) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("/io/spikestream/demo/documents/" + name)) {
                if (in == null) {
                    throw new IOException("the bundled document " + name + " is missing from the build");
                }
                docs.add(DemoDocument.of(docId(name), new String(in.readAllBytes(), StandardCharsets.UTF_8), chunkBytes, List.of()));
            }
        }
        return docs;
    }

    /** models/demo-logs of this checkout (the launcher passes its root as spikestream.home), if present. */
    static Path shippedModel() {
        return shipped("demo-logs");
    }

    private static Path shipped(String name) {
        String home = System.getProperty("spikestream.home");
        Path dir = (home == null ? Path.of(".") : Path.of(home)).resolve("models").resolve(name);
        return Files.isRegularFile(dir.resolve("config.json")) ? dir.toAbsolutePath() : null;
    }

    /** The bundled documents' own model: --document-model, else models/demo-legal if shipped; null for none (or with --documents). */
    private Path documentModel() {
        if (documents != null || "none".equals(documentModel)) {
            return null;
        }
        if (documentModel != null) {
            Path p = Path.of(documentModel).toAbsolutePath();
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("--document-model " + documentModel + " is not a directory");
            }
            return p;
        }
        return shipped("demo-legal");
    }

    /** One question of each kind, asked of the ended documents (their state is kept for the end grace period). */
    private List<String> ask(String bootstrap, List<String> ids, PrintWriter out, boolean separate) throws Exception {
        List<DocumentQuery> queries = new ArrayList<>();
        String first = ids.get(0);
        String last = ids.get(ids.size() - 1);
        if (first.equals("service-log")) {
            // a model of logs continues a log: ask it for the line it expects next
            queries.add(query(first, "q-next-line", QueryKind.GENERATE, "2026-11-01T", List.of()));
            queries.get(0).setMaxTokens(48);
        } else {
            queries.add(query(first, "q-summary", QueryKind.GENERATE, "\nIn one sentence, this document is about", List.of()));
        }
        // with three documents: the topic question of the agreement, an embedding of the report; else of the last one
        String topicOf = ids.size() > 2 ? ids.get(1) : last;
        queries.add(query(topicOf, "q-topic", QueryKind.SCORE_LABELS, "\nThis document is about",
                List.of(" a service outage", " a sales contract", " a cooking recipe")));
        if (ids.size() > 2) {
            queries.add(query(last, "q-embed", QueryKind.EMBED, null, List.of()));
        }
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (DocumentQuery q : queries) {
                producer.send(new ProducerRecord<>(legal(q.getDocId(), separate) ? LEGAL_QUERIES : Topics.QUERIES,
                        q.getDocId().getBytes(StandardCharsets.UTF_8),
                        AvroCodec.documentQuery().encode(q))).get();
                out.printf("asked %s of %s: %s%n", q.getQueryId(), q.getDocId(), q.getKind()
                        + (q.getPrompt() == null ? "" : " " + q.getPrompt().strip()) + (q.getLabels().isEmpty() ? "" : " " + q.getLabels()));
            }
        }
        return queries.stream().map(DocumentQuery::getQueryId).toList();
    }

    private static DocumentQuery query(String docId, String id, QueryKind kind, String prompt, List<String> labels) {
        return DocumentQuery.newBuilder().setDocId(docId).setQueryId(id).setKind(kind).setPrompt(prompt).setLabels(labels)
                .setMaxTokens(12).setTemperature(0f).setTopP(1f).setSeed(7L).setEventTime(Instant.now()).build();
    }

    static String docId(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    private static long latestCheckpoint(Path checkpoints) {
        return Checkpoints.latest(checkpoints).map(p -> Long.parseLong(p.getFileName().toString().substring(4))).orElse(0L);
    }

    static void cancelQuietly(JobClient job, Exception cause) {
        try {
            if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    static JobStatus status(JobClient job) throws Exception {
        return job.getJobStatus().get(10, TimeUnit.SECONDS);
    }

    private static void deleteRecursively(Path dir) {
        try {
            org.apache.flink.util.FileUtils.deleteDirectory(dir.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the demo's work directory " + dir, e);
        }
    }
}
