package io.spikestream.cli.demo;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.producer.LineProducer;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.IncidentTracker;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import io.spikestream.trainer.corpus.Anomaly;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo's third act: the generated log as a plain-text topic, one record per line keyed by service, scored by
 * the job with {@code --input-format text}; alerts printed as their transactions commit, then their precision
 * and recall against the injected anomalies.
 */
final class LinesAct {
    static final String TOPIC = "service-lines";
    static final String ENRICHMENTS = "line-enrichments";
    static final String ALERTS = "line-alerts";
    /** Consecutive alerting lines are one alert (the job's default). */
    static final int INCIDENT_GAP = 0;
    /** The service of an application or JSON line, the resource of an HTTP access line, the subsystem of a kernel line. */
    static final String KEY_REGEX = "\\[([a-z]+)-\\d+\\]|\"service\":\"([a-z]+)\"|^\\[[\\d. ]+\\] ([A-Za-z0-9-]+):|\"[A-Z]+ /api/v1/([a-z]+)";

    private LinesAct() {
    }

    /**
     * What the act found. By line: an alert is right when its line is a labelled anomaly. By event: an alert is
     * right when its line belongs to an injected event (an injected error's stack frames too), and an event is
     * found when one of its lines is alerted.
     */
    record Result(long lines, long records, int alerts, int truePositives, int anomalies, int anomaliesAlerted,
                  int alertsInEvents, int eventsAlerted, String threshold, double seconds) {
        double precision() {
            return alerts == 0 ? 0 : (double) truePositives / alerts;
        }

        double recall() {
            return anomalies == 0 ? 0 : (double) anomaliesAlerted / anomalies;
        }

        double eventPrecision() {
            return alerts == 0 ? 0 : (double) alertsInEvents / alerts;
        }

        double eventRecall() {
            return anomalies == 0 ? 0 : (double) eventsAlerted / anomalies;
        }
    }

    /** Counts the alerts as they arrive and prints each. */
    private static final class Tally {
        final DemoDocument log;
        final PrintWriter out;
        int alerts;
        int hits;
        int inEvents;
        final Set<Integer> alerted = new HashSet<>();
        final Set<Integer> eventsAlerted = new HashSet<>();

        Tally(DemoDocument log, PrintWriter out) {
            this.log = log;
            this.out = out;
        }

        /** An incident alert; {@code lines} are the log's lines of its document's lines (line i of the document is lines.get(i)). */
        void add(Alert a, List<Integer> lines) {
            Integer line = lines == null || a.getLine() >= lines.size() ? null : lines.get((int) a.getLine());
            long end = a.getLineEnd() == null ? a.getLine() : a.getLineEnd();
            Anomaly kind = line == null ? null : log.injected().get(line);
            Integer event = null;
            for (long k = a.getLine(); lines != null && k <= end && k < lines.size(); k++) {
                Integer e = log.eventOf().get(lines.get((int) k));
                if (e != null) {
                    event = event == null ? e : event;
                    eventsAlerted.add(e);
                }
            }
            alerts++;
            if (kind != null) {
                hits++;
                alerted.add(line);
            }
            if (event != null) {
                inEvents++;
            }
            String mark = kind != null ? "  <- injected " + kind
                    : event != null ? "  <- in the injected " + log.injected().get(event) + " of line " + (event + 1) : "";
            String range = end > a.getLine() ? String.format(Locale.ROOT, "  [+%d of its lines]", end - a.getLine()) : "";
            out.printf(Locale.ROOT, "  ALERT %-9s line %5d  %5.2f > %.2f  %s%s%s%n", a.getDocId(), line == null ? -1 : line + 1, a.getScore(),
                    a.getThreshold(), DemoMonitor.quote(a.getText()), range, mark);
        }
    }

    static Result run(String bootstrap, Path dir, Path model, DemoDocument log, int parallelism, String checkpointInterval, PrintWriter out,
                      long deadlineNanos) throws Exception {
        KafkaTopics.ensure(bootstrap, 2, List.of(TOPIC, ENRICHMENTS, ALERTS));
        JobOptions options = JobOptions.parse("--bootstrap-servers", bootstrap, "--model", model.toString(), "--input-format", "text",
                "--documents-topic", TOPIC, "--enrichments-topic", ENRICHMENTS, "--alerts-topic", ALERTS,
                "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", checkpointInterval,
                "--checkpoint-dir", dir.resolve("checkpoints-lines").toString(), "--group-id", "demo-lines", "--transactional-id-prefix", "demo-lines",
                "--incident-gap", Integer.toString(INCIDENT_GAP), "--incident-timeout", "2s");
        Optional<AlertThreshold> threshold = SpikeStreamJob.alertThreshold(options);
        out.println();
        out.println("act 3: the same log as a plain-text topic, one record per line keyed by service (--input-format text)");
        out.println("  alerts: lines whose " + threshold.map(t -> String.format(Locale.ROOT, "%s is above %s = %.3f (the model's calibration.json)",
                t.lengthAware() ? "score among normal lines of their length" : "mean surprisal (nats/token)", t.name(), t.value()))
                .orElse("score is above nothing: the model has no calibration.json, alerts are off"));
        long started = System.nanoTime();
        JobClient job = SpikeStreamJob.start(options);
        JobWatch watch = JobWatch.of(job);
        Result result;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap);
             LineProducer producer = LineProducer.create(bootstrap, TOPIC, KEY_REGEX)) {
            LineProducer.PublishedLines published = producer.produce(new BufferedReader(new StringReader(log.text())), "service-log", true);
            out.printf(Locale.ROOT, "published %,d lines to topic %s under %d keys%n", published.lines(), TOPIC, published.linesPerKey().size());
            Map<String, List<Integer>> logLines = new HashMap<>(); // per document (key): the log's line of each of its lines
            for (int i = 0; i < published.coordinates().size(); i++) {
                logLines.computeIfAbsent(published.coordinates().get(i).key(), k -> new ArrayList<>()).add(i);
            }
            long records = 0;
            // alerts commit in their own transactions: count them from the records' line scores, grouped as the job groups them
            Map<String, IncidentTracker> incidents = new HashMap<>();
            long closedIncidents = 0;
            long expectedAlerts = 0;
            Tally tally = new Tally(log, out);
            while (records < published.lines() || tally.alerts < expectedAlerts) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.topic().equals(ENRICHMENTS)) {
                        Enrichment e = AvroCodec.enrichment().decode(r.value());
                        if (e.getKind() == EnrichmentKind.RECORD) {
                            records++;
                            if (threshold.isPresent()) {
                                IncidentTracker t = incidents.computeIfAbsent(e.getDocId(), k -> new IncidentTracker(threshold.get(), INCIDENT_GAP));
                                for (LineSurprisal l : e.getLines()) {
                                    closedIncidents += t.add(lineScore(l)).isPresent() ? 1 : 0;
                                }
                                expectedAlerts = closedIncidents + incidents.values().stream().filter(IncidentTracker::isOpen).count();
                            }
                        }
                        continue;
                    }
                    Alert a = AvroCodec.alert().decode(r.value());
                    tally.add(a, logLines.get(a.getDocId()));
                }
                out.flush();
                if (watch.ended()) {
                    Optional<Throwable> reason = watch.failure();
                    throw new IllegalStateException("the line-scoring job " + (reason.isPresent() ? "failed" : "ended") + " after " + records + " records"
                            + reason.map(r -> ": " + r.getMessage()).orElse(""), reason.orElse(null));
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new TimeoutException("gave up waiting for the output of act 3 (" + records + " of " + published.lines() + " RECORD enrichments, "
                            + tally.alerts + " of " + expectedAlerts + " alerts)");
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            result = new Result(published.lines(), records, tally.alerts, tally.hits, log.injected().size(), tally.alerted.size(),
                    tally.inEvents, tally.eventsAlerted.size(), threshold.map(AlertThreshold::name).orElse("off"), seconds);
        } catch (Exception e) {
            DemoCommand.cancelQuietly(job, e);
            throw e;
        }
        job.cancel().get(30, TimeUnit.SECONDS);
        return result;
    }

    /** A line as the record reports it, for the grouping the job applies (the mean is what the threshold sees). */
    private static LineScore lineScore(LineSurprisal l) {
        Double mean = l.getMeanSurprisal();
        return new LineScore(l.getLine(), l.getCharStart(), l.getCharEnd(), l.getTokenStart(), l.getTokenEnd(), mean == null ? 0 : 1,
                mean == null ? 0 : mean, l.getMaxSurprisal() == null ? 0 : l.getMaxSurprisal(), l.getText());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "spikestream-demo-lines-" + UUID.randomUUID());
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(ENRICHMENTS, ALERTS)) {
            c.partitionsFor(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }
}
