package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.IncidentTracker;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain-text topic (several keys over 2 partitions, some records without a key, multi-line records) through
 * the job with {@code --input-format text} on a MiniCluster against a real broker: one RECORD enrichment per
 * input record, alerts exactly where the calibration's threshold says, and the same committed output after an
 * exception and after losing every TaskManager.
 */
class PlainTopicITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(3).build());

    static final List<String> KEYS = List.of("auth", "payments", "orders", "kernel", "search");

    /** One input record with where it went. */
    record Sent(String key, String value, int partition, long offset) {
    }

    static String input;
    static List<Sent> sent = new ArrayList<>();
    static Path model;
    static double threshold;

    @TempDir
    Path tmp;

    @BeforeAll
    static void produce() throws Exception {
        input = KafkaBrokerExtension.uniqueTopic("lines");
        KAFKA.createTopics(2, input);
        List<String> lines = TestModel.CORPUS.lines().toList();
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 48; i++) {
                String key = i % 8 == 7 ? null : KEYS.get(i % KEYS.size());
                String value = i % 5 == 3 ? lines.get(i % lines.size()) + "\n" + lines.get((i + 1) % lines.size()) // two lines in one record
                        : lines.get(i % lines.size()) + " #" + i;
                RecordMetadata m = producer.send(new ProducerRecord<>(input, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8))).get();
                sent.add(new Sent(key, value, m.partition(), m.offset()));
            }
        }
        assertThat(sent.stream().map(Sent::partition).distinct().count()).as("the keys are spread over both partitions").isEqualTo(2);
        // A copy of the test model with a calibration whose p99.9 is the median line score of this input: about
        // half the lines alert, so "exactly the lines above it" is a real check.
        model = Files.createTempDirectory("calibrated-model");
        try (Stream<Path> files = Files.list(TestModel.dir())) {
            for (Path f : files.toList()) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        List<Double> means = new ArrayList<>();
        for (List<LineScore> doc : offlineScores().values()) {
            doc.stream().filter(LineScore::isScored).forEach(l -> means.add(l.mean()));
        }
        means.sort(null);
        threshold = means.get(means.size() / 2);
        Calibration c = new Calibration(means.size(), "test input", new LinkedHashMap<>(Map.of("p99.9", threshold)));
        c.write(model);
    }

    static String docOf(Sent s) {
        return s.key() != null ? s.key() : input + "-" + s.partition();
    }

    /** Each document's lines scored offline, its records in offset order: what the stream must reproduce. */
    static Map<String, List<LineScore>> offlineScores() throws Exception {
        Map<String, List<LineScore>> out = new TreeMap<>();
        try (Engine engine = Engine.load(TestModel.dir(), new EngineOptions(1))) {
            Map<String, List<Sent>> byDoc = new TreeMap<>();
            sent.forEach(s -> byDoc.computeIfAbsent(docOf(s), k -> new ArrayList<>()).add(s));
            for (Map.Entry<String, List<Sent>> d : byDoc.entrySet()) {
                DocumentState doc = engine.newDocument();
                List<LineScore> lines = new ArrayList<>();
                for (Sent s : d.getValue().stream().sorted(Comparator.comparingLong(Sent::offset)).toList()) {
                    lines.addAll(LineScorer.advance(engine, doc, s.value(), lines.size()).lines());
                }
                out.put(d.getKey(), lines);
            }
        }
        return out;
    }

    JobOptions options(String out, String alerts) {
        String queries = KafkaBrokerExtension.uniqueTopic("queries");
        String rejected = KafkaBrokerExtension.uniqueTopic("rejected");
        KAFKA.createTopics(1, out, alerts, rejected, queries);
        return JobOptions.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--model", model.toString(), "--input-format", "text",
                "--documents-topic", input, "--queries-topic", queries, "--enrichments-topic", out, "--rejected-topic", rejected,
                "--alerts-topic", alerts, "--parallelism", "2", "--checkpoint-interval", "300ms",
                "--checkpoint-dir", tmp.resolve("checkpoints-" + out).toString(), "--group-id", "it-" + UUID.randomUUID(),
                "--transactional-id-prefix", "it-" + out, "--page-size", "2", "--engine-threads", "1", "--bounded");
    }

    /** Committed output without the wall-clock fields. */
    record Output(Map<String, List<Enrichment>> records, List<Alert> alerts) {
    }

    static Output output(String enrichments, String alerts) throws Exception {
        Map<String, List<Enrichment>> byDoc = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(enrichments)) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            byDoc.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        List<Alert> a = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(alerts)) {
            a.add(Alert.newBuilder(AvroCodec.alert().decode(r.value())).setProcessedAtMs(0).build());
        }
        a.sort(Comparator.comparing(Alert::getDocId).thenComparingLong(Alert::getLine));
        return new Output(byDoc, a);
    }

    static Output reference;

    synchronized Output reference() throws Exception {
        if (reference == null) {
            String out = KafkaBrokerExtension.uniqueTopic("records");
            String alerts = KafkaBrokerExtension.uniqueTopic("alerts");
            JobOptions o = options(out, alerts);
            assertThat(SpikeStreamJob.alerting(o)).isTrue();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
            SpikeStreamJob.build(env, o);
            env.execute("plain-reference");
            reference = output(out, alerts);
        }
        return reference;
    }

    @Test
    void everyRecordGetsExactlyOneRecordEnrichmentWithItsLines() throws Exception {
        Output ref = reference();
        List<Enrichment> all = ref.records().values().stream().flatMap(List::stream).toList();
        assertThat(all).allMatch(e -> e.getKind() == EnrichmentKind.RECORD);
        assertThat(all).hasSize(sent.size());
        Set<String> coordinates = new HashSet<>();
        for (Enrichment e : all) {
            assertThat(coordinates.add(e.getPartition() + "@" + e.getOffset())).as("one enrichment per record").isTrue();
        }
        Map<String, List<LineScore>> offline = offlineScores();
        for (Sent s : sent) {
            Enrichment e = all.stream().filter(x -> x.getPartition() == s.partition() && x.getOffset() == s.offset()).findFirst().orElseThrow();
            assertThat(e.getSourceTopic()).isEqualTo(input);
            assertThat(e.getRecordKey()).isEqualTo(s.key());
            assertThat(e.getDocId()).isEqualTo(docOf(s));
            assertThat(e.getLines()).extracting(LineSurprisal::getText).containsExactly(s.value().split("\n"));
        }
        // per document: offset order, contiguous tokens, and the line scores of scoring it offline, bit for bit
        for (Map.Entry<String, List<Enrichment>> d : ref.records().entrySet()) {
            List<Enrichment> records = d.getValue();
            long next = 0;
            List<LineSurprisal> lines = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                if (i > 0) {
                    assertThat(records.get(i).getOffset()).isGreaterThan(records.get(i - 1).getOffset());
                }
                assertThat(records.get(i).getTokenStart()).isEqualTo(next);
                next = records.get(i).getTokenEnd();
                lines.addAll(records.get(i).getLines());
            }
            List<LineScore> expected = offline.get(d.getKey());
            assertThat(lines).hasSize(expected.size());
            for (int i = 0; i < lines.size(); i++) {
                assertThat(lines.get(i).getLine()).isEqualTo(i);
                assertThat(lines.get(i).getMeanSurprisal()).isEqualTo(expected.get(i).isScored() ? expected.get(i).mean() : null);
            }
        }
    }

    @Test
    void alertsAreTheIncidentsOfTheLinesAboveTheCalibratedThreshold() throws Exception {
        Output ref = reference();
        // each document's lines in order, grouped as consecutive alerting lines: one alert each, named by its first
        // line and the record that line came in
        Set<String> expected = new HashSet<>();
        int alertingLines = 0;
        for (Map.Entry<String, List<Enrichment>> doc : ref.records().entrySet()) {
            IncidentTracker tracker = new IncidentTracker(new AlertThreshold("p99.9", threshold), 0);
            Map<Long, String> recordOf = new HashMap<>();
            List<IncidentTracker.Incident> incidents = new ArrayList<>();
            for (Enrichment e : doc.getValue()) {
                for (LineSurprisal l : e.getLines()) {
                    recordOf.put(l.getLine(), e.getPartition() + ":" + e.getOffset());
                    Double mean = l.getMeanSurprisal();
                    alertingLines += mean != null && mean > threshold ? 1 : 0;
                    tracker.add(new LineScore(l.getLine(), 0, 0, l.getTokenStart(), l.getTokenEnd(), mean == null ? 0 : 1, mean == null ? 0 : mean,
                            0, l.getText())).ifPresent(incidents::add);
                }
            }
            tracker.close().ifPresent(incidents::add); // the bounded input's end sends the last one
            for (IncidentTracker.Incident i : incidents) {
                expected.add(doc.getKey() + "#" + i.firstLine() + "-" + i.lastLine() + "/" + i.top().line() + "x" + i.alerting() + "@" + recordOf.get(i.firstLine()));
            }
        }
        assertThat(alertingLines).as("some lines alert, not all").isBetween(5, sent.size());
        assertThat(expected.size()).as("incidents: fewer than the alerting lines, here").isBetween(3, alertingLines - 1);
        List<String> alerted = ref.alerts().stream().map(a -> a.getDocId() + "#" + a.getLine() + "-" + a.getLineEnd() + "/" + a.getTopLine() + "x"
                + a.getAlertingLines() + "@" + a.getPartition() + ":" + a.getOffset()).toList();
        assertThat(alerted).doesNotHaveDuplicates();
        assertThat(new HashSet<>(alerted)).isEqualTo(expected);
        assertThat(ref.alerts()).allSatisfy(a -> {
            assertThat(a.getThreshold()).isEqualTo(threshold);
            assertThat(a.getThresholdName()).isEqualTo("p99.9");
            assertThat(a.getScore()).isGreaterThan(threshold);
            assertThat(a.getTopScore()).isGreaterThanOrEqualTo(a.getScore());
            assertThat(a.getSourceTopic()).isEqualTo(input);
            assertThat(a.getSeq()).isNull();
        });
    }

    @Test
    void anExceptionAfterACheckpointLosesAndDuplicatesNothing() throws Exception {
        Output expected = reference();
        String out = KafkaBrokerExtension.uniqueTopic("records-after-exception");
        String alerts = KafkaBrokerExtension.uniqueTopic("alerts-after-exception");
        JobOptions o = options(out, alerts);
        observed(o, true).execute("plain-exception");
        assertThat(SpikeStreamJobITCase.ObservedProcessor.FAILURES.get()).as("the failure was injected").isEqualTo(1);
        assertThat(output(out, alerts)).isEqualTo(expected);
    }

    @Test
    void killedTaskManagersLoseAndDuplicateNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Output expected = reference();
        String out = KafkaBrokerExtension.uniqueTopic("records-after-tm-loss");
        String alerts = KafkaBrokerExtension.uniqueTopic("alerts-after-tm-loss");
        JobOptions o = options(out, alerts);
        JobClient job = observed(o, false).executeAsync("plain-tm-loss");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((SpikeStreamJobITCase.ObservedProcessor.CHECKPOINTS.get() < 2 || SpikeStreamJobITCase.ObservedProcessor.CHUNKS.get() < 20)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(SpikeStreamJobITCase.ObservedProcessor.CHUNKS.get()).as("killed mid-stream").isBetween(20, sent.size() - 1);
        cluster.terminateTaskManager(1).get();
        cluster.terminateTaskManager(0).get();
        cluster.startTaskManager();
        cluster.startTaskManager();
        job.getJobExecutionResult().get();
        assertThat(SpikeStreamJobITCase.ObservedProcessor.OPENED.get()).as("restored after the kill").isGreaterThan(2);
        assertThat(output(out, alerts)).isEqualTo(expected);
    }

    /** The job with the observing processor of {@link SpikeStreamJobITCase}, which fails once after a checkpoint if asked. */
    private static StreamExecutionEnvironment observed(JobOptions o, boolean failOnce) throws Exception {
        SpikeStreamJobITCase.ObservedProcessor.reset(failOnce);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o, SpikeStreamJobITCase.ObservedProcessor::new);
        return env;
    }
}
