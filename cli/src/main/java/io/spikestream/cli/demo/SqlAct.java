package io.spikestream.cli.demo;

import io.spikestream.cli.sql.SqlClientProcess;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.producer.LineProducer;
import io.spikestream.engine.json.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

/**
 * {@code demo --sql}: the generated log as JSON records ({@code service}, {@code message}) keyed by service, and
 * the README's script ({@code alerts.sql}: a Kafka table, {@code score_lines}, a Kafka sink of the alerts) run by
 * Flink's own SQL Client; the committed alerts printed against the injected anomalies.
 */
final class SqlAct {
    static final String SCRIPT = "/io/spikestream/cli/sql/alerts.sql";
    /** What the README script says for the broker, the model and the source's start, which the demo replaces. */
    static final String BOOTSTRAP = "localhost:9092";
    static final String MODEL = "/abs/path/to/spikestream/models/demo-logs";
    static final String STARTUP = "'scan.startup.mode' = 'earliest-offset',";

    private SqlAct() {
    }

    /** What the act found: by line as in act 3, an alert on a labelled anomaly is right. */
    record Result(long lines, int alerts, int truePositives, int anomalies, int anomaliesAlerted, int eventsAlerted, double seconds) {
    }

    /** The README's script, as shipped. */
    static String script() throws IOException {
        try (InputStream in = SqlAct.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException("the script " + SCRIPT + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The script for this broker and model, its source bounded by the offsets at start so that the act ends. */
    static String bounded(String script, String bootstrap, Path model) {
        for (String expected : List.of(BOOTSTRAP, MODEL, STARTUP)) {
            if (!script.contains(expected)) {
                throw new IllegalStateException("the script " + SCRIPT + " has no " + expected);
            }
        }
        return script.replace(BOOTSTRAP, bootstrap).replace(MODEL, model.toAbsolutePath().toString())
                .replace(STARTUP, STARTUP + "\n  'scan.bounded.mode' = 'latest-offset',");
    }

    static Result run(String bootstrap, Path dir, Path model, DemoDocument log, PrintWriter out) throws Exception {
        KafkaTopics.ensure(bootstrap, 2, List.of("logs", "log-alerts"));
        long started = System.nanoTime();
        // per service, the log's line number of each of its lines: score_lines numbers lines per PARTITION BY key
        Map<String, List<Integer>> logLineOf = new HashMap<>();
        LineProducer.PublishedLines published;
        try (LineProducer producer = LineProducer.create(bootstrap, "logs", LinesAct.KEY_REGEX)) {
            published = producer.produce(new BufferedReader(new StringReader(log.text())), "service-log", true,
                    (key, line) -> ("{\"service\":" + Json.quote(key) + ",\"message\":" + Json.quote(line) + "}").getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < published.coordinates().size(); i++) {
            logLineOf.computeIfAbsent(published.coordinates().get(i).key(), k -> new ArrayList<>()).add(i);
        }
        out.println();
        out.println("act sql: the same log as JSON records {\"service\", \"message\"} keyed by service, scored by Flink SQL");
        out.printf(Locale.ROOT, "published %,d records to topic logs under %d services%n", published.lines(), published.linesPerKey().size());
        Path script = Files.writeString(dir.resolve("alerts.sql"), bounded(script(), bootstrap, model));
        out.println("  ./spikestream sql -f " + script + "   (the README's script; here its source stops at the offsets it starts at):");
        Files.readAllLines(script).forEach(l -> out.println("  | " + l));
        SqlClientProcess client = new SqlClientProcess(null);
        int code = client.run(script, line -> {
            // the client's answers, without its colours and its echo of the script printed above
            String t = line.replaceAll("\u001B\\[[;\\d]*m", "");
            int answer = Math.max(t.indexOf("[INFO]"), t.indexOf("[ERROR]"));
            if (answer >= 0) {
                t = t.substring(answer);
            } else if (t.isBlank() || t.startsWith(">") || t.startsWith("Flink SQL>")) {
                return;
            }
            out.println("  sql | " + t);
            out.flush();
        });
        if (code != 0) {
            throw new IllegalStateException("the SQL Client failed (exit " + code + "); its log: " + client.log());
        }
        client.deleteFiles();
        int alerts = 0;
        int hits = 0;
        Set<Integer> alerted = new HashSet<>();
        Set<Integer> eventsAlerted = new HashSet<>();
        List<Map<String, Object>> committed = new ArrayList<>(committed(bootstrap, "log-alerts"));
        committed.sort(java.util.Comparator.comparingInt(a -> logLineOf.get((String) a.get("service")).get(((Number) a.get("line")).intValue())));
        for (Map<String, Object> a : committed) {
            String service = (String) a.get("service");
            long its = ((Number) a.get("line")).longValue();
            int line = logLineOf.get(service).get((int) its);
            var kind = log.injected().get(line);
            Integer event = log.eventOf().get(line);
            alerts++;
            if (kind != null) {
                hits++;
                alerted.add(line);
            }
            if (event != null) {
                eventsAlerted.add(event);
            }
            String mark = kind != null ? "  <- injected " + kind
                    : event != null ? "  <- in the injected " + log.injected().get(event) + " of line " + (event + 1) : "";
            out.printf(Locale.ROOT, "  ALERT %-9s line %5d (its %4d)  %5.2f > %.2f  %s%s%n", service, line + 1, its,
                    ((Number) a.get("mean_surprisal")).doubleValue(), ((Number) a.get("threshold")).doubleValue(),
                    DemoMonitor.quote((String) a.get("line_text")), mark);
        }
        return new Result(published.lines(), alerts, hits, log.injected().size(), alerted.size(), eventsAlerted.size(),
                (System.nanoTime() - started) / 1e9);
    }

    /** Every committed record of {@code topic}, parsed, in each partition's order. */
    private static List<Map<String, Object>> committed(String bootstrap, String topic) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "spikestream-demo-sql-" + UUID.randomUUID());
        List<Map<String, Object>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read topic " + topic + " to its end in 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(Json.parseObject(new String(r.value(), StandardCharsets.UTF_8)));
                }
            }
        }
        return out;
    }
}
