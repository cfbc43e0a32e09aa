package io.spikestream.operator.job;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.kafka.AvroKafkaSink;
import io.spikestream.connectors.kafka.DecodeFunction;
import io.spikestream.connectors.kafka.InputFormat;
import io.spikestream.connectors.kafka.PlainRecordDecodeFunction;
import io.spikestream.connectors.kafka.RawKafkaSource;
import io.spikestream.connectors.kafka.PlainRecord;
import io.spikestream.connectors.kafka.RawRecord;
import io.spikestream.connectors.kafka.access.RefusalStopsSink;
import io.spikestream.connectors.kafka.access.JobAcls;
import io.spikestream.connectors.kafka.access.KafkaAccessCheck;
import io.spikestream.engine.ModelCheck;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.operator.Alerts;
import io.spikestream.operator.DocumentProcessor;
import io.spikestream.operator.DocumentScoring;
import io.spikestream.operator.RecordSource;
import io.spikestream.operator.ScoredStreams;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.api.connector.source.Source;
import org.apache.kafka.common.acl.AclBinding;

/**
 * The SpikeStream job: documents and queries from Kafka, keyed by document id, through the
 * {@link DocumentProcessor}, to the enrichments topic exactly once; everything unusable to the rejected topic.
 *
 * <pre>
 * documents ─► decode ─┐                        ┌─► enrichments (EXACTLY_ONCE)
 *                      ├─► keyBy(docId) ─► DocumentProcessor ─► alerts (lines above the threshold)
 * queries   ─► decode ─┘                        └─► rejected (+ undecodable records)
 * </pre>
 * The documents topic holds Avro chunks, or plain-text or JSON records ({@code --input-format}).
 * RocksDB with incremental checkpoints, retained on cancellation in {@code --checkpoint-dir}. The same class
 * is the entry point of the fat job jar for {@code flink run} on a cluster.
 */
public final class SpikeStreamJob {
    private static final Logger LOG = LoggerFactory.getLogger(SpikeStreamJob.class);

    private SpikeStreamJob() {
    }

    public static void main(String[] args) throws Exception {
        JobOptions options = JobOptions.parse(args);
        checkModel(options);
        requireKafka(options);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(options));
        build(env, options);
        env.execute("spikestream");
    }

    /** The Flink configuration the job needs: RocksDB, incremental exactly-once checkpoints, retained, restarts. */
    public static Configuration configuration(JobOptions o) {
        Configuration c = new Configuration();
        c.setString("state.backend.type", "rocksdb");
        c.setString("execution.checkpointing.incremental", "true");
        c.setString("execution.checkpointing.interval", o.checkpointInterval().toMillis() + " ms");
        c.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        // A chunk can take seconds of inference: barriers must not queue behind in-flight chunks, or no
        // checkpoint (hence no output commit) completes while a backlog drains.
        c.setString("execution.checkpointing.unaligned.enabled", "true");
        c.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        c.setString("execution.checkpointing.num-retained", "3");
        if (o.checkpointDir() != null) {
            c.setString("execution.checkpointing.dir", checkpointUri(o.checkpointDir()));
        }
        c.setString("restart-strategy.type", "exponential-delay");
        c.setString("restart-strategy.exponential-delay.initial-backoff", "500 ms");
        c.setString("restart-strategy.exponential-delay.max-backoff", "30 s");
        if (o.parallelism() > 0) {
            c.setString("parallelism.default", Integer.toString(o.parallelism()));
        }
        resumePath(o).ifPresent(p -> c.setString("execution.state-recovery.path", p));
        return c;
    }

    /** A local path becomes a file URI; anything with a scheme (s3://, hdfs://, file:) is kept. */
    static String checkpointUri(String dir) {
        return dir.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || dir.startsWith("file:") ? dir
                : Path.of(dir).toAbsolutePath().toUri().toString();
    }

    /** Where to resume from: {@code --resume latest} looks in the checkpoint directory. */
    public static Optional<String> resumePath(JobOptions o) {
        if (o.resume() == null) {
            return Optional.empty();
        }
        if (!o.resume().equals("latest")) {
            return Optional.of(o.resume());
        }
        String uri = checkpointUri(o.checkpointDir());
        if (!uri.startsWith("file:")) {
            throw new IllegalArgumentException("--resume latest looks for checkpoints in a local --checkpoint-dir, not in " + uri
                    + "; pass the checkpoint's path instead (--resume PATH, or flink run -s PATH)");
        }
        Optional<Path> latest = Checkpoints.latest(Path.of(java.net.URI.create(uri)));
        if (latest.isEmpty()) {
            LOG.warn("--resume latest: no retained checkpoint in {}; starting from the topics' committed offsets", o.checkpointDir());
            return Optional.empty();
        }
        LOG.info("resuming from {}", latest.get());
        return Optional.of(latest.get().toUri().toString());
    }

    /** Adds the job's operators to an environment. */
    public static void build(StreamExecutionEnvironment env, JobOptions o) {
        build(env, o, Processors.AS_CONFIGURED);
    }

    /** Makes the job's keyed function from the one its options configure (tests wrap it to inject failures). */
    public interface Processors {
        Processors AS_CONFIGURED = new Processors() {
            @Override
            public <T> DocumentProcessor<T> of(DocumentProcessor<T> configured) {
                return configured;
            }
        };

        <T> DocumentProcessor<T> of(DocumentProcessor<T> configured);
    }

    /**
     * Like {@link #build(StreamExecutionEnvironment, JobOptions)} with the keyed function {@code processors} makes.
     * The job is a user of {@link DocumentScoring}: Kafka records decoded, scored, written to Kafka.
     */
    public static void build(StreamExecutionEnvironment env, JobOptions o, Processors processors) {
        SingleOutputStreamOperator<DocumentQuery> queries = env
                .fromSource(source(o, o.queriesTopic(), "queries"), WatermarkStrategy.noWatermarks(), "queries")
                .uid("queries-source")
                .process(new DecodeFunction<>(AvroCodec.documentQuery()))
                .uid("decode-queries").name("decode queries");
        DataStream<Rejected> undecodable;
        ScoredStreams scored;
        if (o.input().format() == InputFormat.AVRO) {
            SingleOutputStreamOperator<DocumentChunk> chunks = documents(env, o, new DecodeFunction<>(AvroCodec.documentChunk()));
            DocumentScoring<DocumentChunk> scoring = configure(DocumentScoring.documentChunks(), o).build();
            scored = scoring.apply(chunks, queries, processors.of(scoring.processor()));
            undecodable = chunks.getSideOutput(DecodeFunction.REJECTED);
        } else {
            SingleOutputStreamOperator<PlainRecord> records = documents(env, o, new PlainRecordDecodeFunction(o.input()));
            DocumentScoring<PlainRecord> scoring = configure(DocumentScoring.<PlainRecord>builder(), o)
                    .documentKey(PlainRecord::getDocId)
                    .text(PlainRecord::getText)
                    .records(r -> new RecordSource(r.getTopic(), r.getPartition(), r.getOffset(), r.getKey()))
                    .build();
            scored = scoring.apply(records, queries, processors.of(scoring.processor()));
            undecodable = records.getSideOutput(DecodeFunction.REJECTED);
        }
        scored.enrichments().sinkTo(sink(AvroKafkaSink.enrichments(), o, o.enrichmentsTopic(), "enrichments"))
                .uid("enrichments-sink").name("enrichments");
        if (alerting(o)) {
            scored.alerts().sinkTo(sink(AvroKafkaSink.alerts(), o, o.alertsTopic(), "alerts")).uid("alerts-sink").name("alerts");
        }
        undecodable.union(queries.getSideOutput(DecodeFunction.REJECTED), scored.rejected())
                .sinkTo(sink(AvroKafkaSink.rejected(), o, o.rejectedTopic(), "rejected")).uid("rejected-sink").name("rejected");
    }

    /** The settings the job gives every scoring: the operator's options, alerts, the names and uid of the 0.1 release. */
    private static <T> DocumentScoring.Builder<T> configure(DocumentScoring.Builder<T> b, JobOptions o) {
        return b.options(o.operator()).alerts(o.alerts()).incidents(o.incidents()).segment(o.segment()).bundles(o.bundles()).sourceName(o.documentsTopic()).uid("documents")
                .name("spikestream documents");
    }

    private static <T> SingleOutputStreamOperator<T> documents(StreamExecutionEnvironment env, JobOptions o, ProcessFunction<RawRecord, T> decode) {
        return env.fromSource(source(o, o.documentsTopic(), "documents"), WatermarkStrategy.noWatermarks(), "documents")
                .uid("documents-source")
                .process(decode)
                .uid("decode-documents").name("decode documents (" + o.input().format() + ")");
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> RefusalStopsSink<T> sink(AvroKafkaSink.Builder<T> b, JobOptions o,
                                                                                                String topic, String role) {
        return b.clientConfig(o.kafka()).topic(topic).transactionalIdPrefix(o.transactionalIdPrefix() + "-" + role)
                .transactionTimeout(o.transactionTimeout()).brokerMaxTransactionTimeout(brokerMax(o)).build();
    }

    /** The alert threshold the job applies when it was resolved here (the client sees the model); empty otherwise. */
    public static Optional<AlertThreshold> alertThreshold(JobOptions o) {
        return o.alerts() instanceof Alerts.At a ? Optional.of(a.threshold()) : Optional.empty();
    }

    /** Whether the job writes to the alerts topic. */
    public static boolean alerting(JobOptions o) {
        return o.alerts().enabled();
    }

    /**
     * Fails before the job starts when the model directory, as this machine sees it, cannot serve the job. A
     * client that does not see the directory (it lives on the TaskManagers) leaves the check to them: there a
     * model that cannot load fails the job without restarts.
     */
    public static void checkModel(JobOptions o) {
        if (modelVisible(o)) {
            ModelCheck.requireUsable(Path.of(o.operator().modelDir()));
        }
    }

    private static boolean modelVisible(JobOptions o) {
        return Files.isDirectory(Path.of(o.operator().modelDir()));
    }

    /** An explicit --transaction-timeout above the default broker maximum says the broker allows it (it refuses it otherwise). */
    private static java.time.Duration brokerMax(JobOptions o) {
        java.time.Duration defaultMax = java.time.Duration.ofMinutes(15);
        return o.transactionTimeout().compareTo(defaultMax) > 0 ? o.transactionTimeout() : defaultMax;
    }

    private static Source<RawRecord, ?, ?> source(JobOptions o, String topic, String role) {
        RawKafkaSource.Builder b = RawKafkaSource.builder().clientConfig(o.kafka()).topics(topic).groupId(groupId(o, role));
        if (o.bounded()) {
            b.bounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    private static String groupId(JobOptions o, String role) {
        return o.groupId() + "-" + role;
    }

    /** The topics the job reads, and those it writes (the alerts topic only while alerting). */
    public static List<String> inputTopics(JobOptions o) {
        return List.of(o.documentsTopic(), o.queriesTopic());
    }

    public static List<String> outputTopics(JobOptions o) {
        List<String> out = new ArrayList<>(List.of(o.enrichmentsTopic(), o.rejectedTopic()));
        if (alerting(o)) {
            out.add(o.alertsTopic());
        }
        return out;
    }

    /** The ACLs {@code principal} needs to run this job (see {@link JobAcls}). */
    public static List<AclBinding> acls(JobOptions o, String principal) {
        return JobAcls.of(principal, inputTopics(o), outputTopics(o), List.of(groupId(o, "documents"), groupId(o, "queries")),
                o.transactionalIdPrefix());
    }

    /**
     * Fails before the job starts when Kafka would refuse it (TLS, credentials, an ACL it needs; the reason names
     * it) or a topic is missing (a missing topic would stall the job rather than fail it).
     */
    public static void requireKafka(JobOptions o) {
        List<String> transactionalIds = new ArrayList<>();
        for (String sink : alerting(o) ? List.of("enrichments", "rejected", "alerts") : List.of("enrichments", "rejected")) {
            transactionalIds.add(o.transactionalIdPrefix() + "-" + sink + "-0-1"); // the first id each sink uses
        }
        Set<String> missing = KafkaAccessCheck.of(o.kafka()).reads(inputTopics(o)).writes(outputTopics(o))
                .groups(List.of(groupId(o, "documents"), groupId(o, "queries"))).transactionalIds(transactionalIds).run();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("topics " + missing + " do not exist on " + o.bootstrapServers()
                    + "; create them (key = document id, same partition count for documents and queries) or pass --create-topics N");
        }
    }

    /** Starts the job without waiting for it (the demo and tests watch its output meanwhile). */
    public static JobClient start(JobOptions o) throws Exception {
        checkModel(o);
        requireKafka(o);
        return startChecked(o);
    }

    /** {@link #start} when the model and Kafka have been checked already. */
    public static JobClient startChecked(JobOptions o) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(o));
        build(env, o);
        return env.executeAsync("spikestream");
    }
}
