package io.spikestream.operator.job;

import io.spikestream.connectors.kafka.InputFormat;
import io.spikestream.connectors.kafka.InputSettings;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.operator.Alerts;
import io.spikestream.operator.Incidents;
import io.spikestream.operator.Bundles;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.operator.OperatorOptions;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The job's command line: {@code [--bootstrap-servers B] [--command-config FILE] [--command-property K=V …]
 * --model DIR [--documents-topic …] [--queries-topic …]
 * [--enrichments-topic …] [--rejected-topic …] [--parallelism N] [--checkpoint-interval 10s]
 * [--checkpoint-dir DIR] [--resume latest|PATH] [--group-id …] [--transactional-id-prefix …] [--bounded]}
 * and operator settings ({@code --page-size}, {@code --state-ttl}, {@code --end-grace}, {@code --gap-timeout},
 * {@code --max-buffered-chunks}, {@code --max-chunk-chars}, {@code --max-document-tokens}, {@code --top-spans}, {@code --embed-chunks},
 * {@code --engine-threads}), the input ({@code --input-format avro|text|json}, {@code --text-field},
 * {@code --key-field}) and alerts ({@code --alert-threshold}, {@code --alerts-topic}). Durations: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 7d}.
 */
public record JobOptions(
        /** Every Kafka connection's settings (secrets of the file as references to it: none in the job graph). */
        KafkaClientConfig kafka,
        OperatorOptions operator,
        /** The documents topic's format (and JSON's fields). */
        InputSettings input,
        /** When lines alert, resolved once (here, when this machine sees the model). */
        Alerts alerts,
        /** How alerting lines group into alerts. */
        Incidents incidents,
        /** What is scored beyond lines and alerted: lines (into incidents) or paragraphs. */
        SegmentKind segment,
        /** How many elements the operator gathers before applying them. */
        Bundles bundles,
        String documentsTopic,
        String queriesTopic,
        String enrichmentsTopic,
        String rejectedTopic,
        /** 0: the environment's default parallelism. */
        int parallelism,
        Duration checkpointInterval,
        /** Null: the cluster's {@code execution.checkpointing.dir}. */
        String checkpointDir,
        String resume,
        String groupId,
        String transactionalIdPrefix,
        boolean bounded,
        /** Kafka {@code transaction.timeout.ms} of the sinks: above checkpoint interval + restart time, at most the broker's maximum. */
        Duration transactionTimeout,
        String alertsTopic) implements Serializable {

    static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("bootstrap-servers", "Kafka bootstrap servers (required unless the --command-config file has bootstrap.servers)");
        HELP.put("command-config", "a properties file of Kafka client settings (security.protocol, sasl.*, ssl.*, ...) for every "
                + "Kafka connection of the job; it must be at the same path on the JobManager and every TaskManager");
        HELP.put("command-property", "KEY=VALUE: one Kafka client setting over the file (repeatable; secrets go in the file)");
        HELP.put("model", "model directory on every TaskManager (required)");
        HELP.put("documents-topic", "input chunks (default documents)");
        HELP.put("queries-topic", "input queries (default queries)");
        HELP.put("enrichments-topic", "output records (default enrichments)");
        HELP.put("rejected-topic", "rejected input with reasons (default rejected)");
        HELP.put("parallelism", "job parallelism (default: the cluster's, or flink run -p; locally the number of cores)");
        HELP.put("checkpoint-interval", "exactly-once checkpoints; outputs commit at each (default 10s)");
        HELP.put("checkpoint-dir", "where retained checkpoints go (default: the cluster's execution.checkpointing.dir; ./checkpoints for ./spikestream job)");
        HELP.put("resume", "latest (newest retained checkpoint in --checkpoint-dir) or a checkpoint/savepoint path");
        HELP.put("group-id", "Kafka consumer group prefix (default spikestream)");
        HELP.put("transactional-id-prefix", "Kafka transactional id prefix, unique per job (default spikestream)");
        HELP.put("transaction-timeout", "Kafka transaction timeout of the sinks; at most the broker's transaction.max.timeout.ms (default 10m)");
        HELP.put("bounded", "read the topics up to their current end, then finish (reprocessing, tests)");
        HELP.put("page-size", "ring slots per stored key/value page (default 64)");
        HELP.put("state-ttl", "drop documents inactive this long; 0 keeps them (default 7d)");
        HELP.put("end-grace", "keep an ended document queryable this long (default 10m)");
        HELP.put("gap-timeout", "reject a document whose missing chunk does not arrive in this time (default 10m)");
        HELP.put("max-buffered-chunks", "early chunks held per document before it is rejected (default 256)");
        HELP.put("max-chunk-chars", "longest accepted chunk (default 1048576)");
        HELP.put("max-document-tokens", "reject a document that would grow past this many tokens: a number, off, or auto (default: off "
                + "for constant-state models; for models with full-attention layers, the tokens whose keys and values fill 1 GiB)");
        HELP.put("top-spans", "most surprising tokens reported per chunk (default 5)");
        HELP.put("embed-chunks", "attach the final hidden vector to every CHUNK record");
        HELP.put("engine-threads", "kernel threads per TaskManager (default: its cores)");
        HELP.put("input-format", "avro (DocumentChunks, the default), text (UTF-8 lines, document = record key) or json");
        HELP.put("text-field", "json input: the field holding the text (a dotted path reaches into objects; default message)");
        HELP.put("key-field", "json input: the field naming the document instead of the record key");
        HELP.put("alert-threshold", "lines (or paragraphs) scoring above this go to the alerts topic: a quantile of the model's "
                + "calibration.json (p99.9, the default when it has one; on the length-aware score of a 0.3 calibration), nats per token "
                + "of mean surprisal, or off");
        HELP.put("alerts-topic", "output alerts (default alerts)");
        HELP.put("incident-gap", "non-alerting lines an incident may span: alerting lines closer than this are one alert "
                + "(default " + Incidents.DEFAULT.gap() + ": consecutive lines)");
        HELP.put("segment", "line (default: lines alert, grouped into incidents) or paragraph (the lines between blank lines, a Markdown "
                + "heading on its own: each record's or chunk's completed paragraphs in its enrichment's segments, and an alert per paragraph above "
                + "the calibration's paragraph threshold)");
        HELP.put("incident-timeout", "how long an incident waits for its document's next line before it is sent (default "
                + Incidents.DEFAULT.timeout().toSeconds() + "s)");
        HELP.put("bundle-size", "elements gathered before they are applied together, one engine pass and one state write per document "
                + "(default " + Bundles.DEFAULT.size() + "; 1 applies each as it arrives)");
        HELP.put("bundle-time", "longest a gathered element waits (default " + Bundles.DEFAULT.time().toMillis() + "ms)");
        HELP.put("bundle-chars", "characters of text a bundle holds at most, which bounds how long a checkpoint barrier waits for it "
                + "(default " + Bundles.DEFAULT_CHARS + ")");
    }

    public static JobOptions parse(String... args) {
        Map<String, String> m = new LinkedHashMap<>();
        List<String> commandProperties = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; options are --name value. " + usage());
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (key.equals("bounded") || key.equals("embed-chunks")) {
                value = "true";
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + key + " needs a value");
                }
                value = args[++i];
            }
            if (!HELP.containsKey(key)) {
                throw new IllegalArgumentException("unknown option --" + key + ". " + usage());
            }
            if (key.equals("command-property")) {
                commandProperties.add(value);
            } else {
                m.put(key, value);
            }
        }
        String file = m.get("command-config");
        KafkaClientConfig kafka = KafkaClientConfig.forJob(file == null ? null : Path.of(file).toAbsolutePath(), commandProperties,
                m.get("bootstrap-servers"));
        kafka.bootstrapServers(); // required, from the option or the file
        String model = Path.of(require(m, "model")).toAbsolutePath().toString();
        OperatorOptions d = OperatorOptions.defaults(model);
        OperatorOptions op = new OperatorOptions(model,
                integer(m, "engine-threads", d.engineThreads()),
                integer(m, "page-size", d.pageSize()),
                integer(m, "max-buffered-chunks", d.maxBufferedChunks()),
                d.maxBufferedChars(),
                duration(m, "gap-timeout", d.gapTimeout()),
                duration(m, "state-ttl", d.stateTtl()),
                duration(m, "end-grace", d.endGrace()),
                integer(m, "max-chunk-chars", d.maxChunkChars()),
                integer(m, "top-spans", d.topSpans()),
                Boolean.parseBoolean(m.getOrDefault("embed-chunks", "false")),
                d.cachedDocuments(),
                d.maxAnswerTokens(),
                m.containsKey("max-document-tokens") ? io.spikestream.operator.DocumentTokenLimit.parse(m.get("max-document-tokens"))
                        : d.maxDocumentTokens());
        InputSettings input = InputSettings.of(InputFormat.parse(m.getOrDefault("input-format", "avro")), m.get("text-field"), m.get("key-field"));
        int bundleSize = integer(m, "bundle-size", Bundles.DEFAULT.size());
        Bundles bundles = new Bundles(bundleSize, bundleSize == 1 && !m.containsKey("bundle-time") ? Duration.ZERO
                : duration(m, "bundle-time", Bundles.DEFAULT.time()), integer(m, "bundle-chars", (int) Bundles.DEFAULT_CHARS));
        Incidents incidents = new Incidents(integer(m, "incident-gap", Incidents.DEFAULT.gap()),
                duration(m, "incident-timeout", Incidents.DEFAULT.timeout()));
        SegmentKind segment = SegmentKind.parse(m.getOrDefault("segment", "line"));
        return new JobOptions(kafka, op, input, Alerts.resolve(m.get("alert-threshold"), Path.of(model), segment), incidents, segment, bundles,
                m.getOrDefault("documents-topic", Topics.DOCUMENTS),
                m.getOrDefault("queries-topic", Topics.QUERIES),
                m.getOrDefault("enrichments-topic", Topics.ENRICHMENTS),
                m.getOrDefault("rejected-topic", Topics.REJECTED),
                integer(m, "parallelism", 0),
                duration(m, "checkpoint-interval", Duration.ofSeconds(10)),
                m.get("checkpoint-dir"),
                m.get("resume"),
                m.getOrDefault("group-id", "spikestream"),
                m.getOrDefault("transactional-id-prefix", "spikestream"),
                Boolean.parseBoolean(m.getOrDefault("bounded", "false")),
                duration(m, "transaction-timeout", Duration.ofMinutes(10)),
                m.getOrDefault("alerts-topic", Topics.ALERTS));
    }

    public JobOptions {
        if (parallelism < 0) {
            throw new IllegalArgumentException("--parallelism must be >= 1, got " + parallelism);
        }
        if (transactionTimeout.compareTo(checkpointInterval) <= 0) {
            throw new IllegalArgumentException("--transaction-timeout (" + transactionTimeout + ") must exceed --checkpoint-interval ("
                    + checkpointInterval + "): a transaction stays open from one checkpoint to the next");
        }
        if ("latest".equals(resume) && checkpointDir == null) {
            throw new IllegalArgumentException("--resume latest needs --checkpoint-dir (where the retained checkpoints are)");
        }
        if (checkpointInterval.toMillis() < 10) {
            throw new IllegalArgumentException("--checkpoint-interval must be at least 10ms: exactly-once output commits at checkpoints");
        }
    }

    /** JSON input: the field holding the text (null for other formats). */
    public String textField() {
        return input.textField();
    }

    /** JSON input: the field naming the document (null: the record key). */
    public String keyField() {
        return input.keyField();
    }

    /** Kafka's bootstrap servers (from {@code --bootstrap-servers} or the {@code --command-config} file). */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public JobOptions withParallelism(int p) {
        return new JobOptions(kafka, operator, input, alerts, incidents, segment, bundles, documentsTopic, queriesTopic, enrichmentsTopic, rejectedTopic, p,
                checkpointInterval, checkpointDir, resume, groupId, transactionalIdPrefix, bounded, transactionTimeout, alertsTopic);
    }

    public JobOptions withResume(String r) {
        return new JobOptions(kafka, operator, input, alerts, incidents, segment, bundles, documentsTopic, queriesTopic, enrichmentsTopic, rejectedTopic, parallelism,
                checkpointInterval, checkpointDir, r, groupId, transactionalIdPrefix, bounded, transactionTimeout, alertsTopic);
    }

    public JobOptions withDocumentsTopic(String topic) {
        return new JobOptions(kafka, operator, input, alerts, incidents, segment, bundles, topic, queriesTopic, enrichmentsTopic, rejectedTopic, parallelism,
                checkpointInterval, checkpointDir, resume, groupId, transactionalIdPrefix, bounded, transactionTimeout, alertsTopic);
    }

    public JobOptions withBounded(boolean b) {
        return new JobOptions(kafka, operator, input, alerts, incidents, segment, bundles, documentsTopic, queriesTopic, enrichmentsTopic, rejectedTopic, parallelism,
                checkpointInterval, checkpointDir, resume, groupId, transactionalIdPrefix, b, transactionTimeout, alertsTopic);
    }

    public static String usage() {
        StringBuilder sb = new StringBuilder("Options:");
        HELP.forEach((k, v) -> sb.append("\n  --").append(k).append(": ").append(v));
        return sb.toString();
    }

    private static String require(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required. " + usage());
        }
        return v;
    }

    private static int integer(Map<String, String> m, String key, int otherwise) {
        String v = m.get(key);
        if (v == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be an integer, got '" + v + "'");
        }
    }

    /** The value of option {@code --key}: 500ms, 10s, 5m, 2h, 7d, or plain milliseconds; never negative. */
    public static Duration duration(String key, String value) {
        Duration d = duration(Map.of(key, value), key, Duration.ZERO);
        if (d.isNegative()) {
            throw new IllegalArgumentException("--" + key + " must not be negative, got '" + value + "'");
        }
        return d;
    }

    /** 500ms, 10s, 5m, 2h, 7d, or plain milliseconds. */
    static Duration duration(Map<String, String> m, String key, Duration otherwise) {
        String v = m.get(key);
        if (v == null) {
            return otherwise;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (!s.isEmpty() && Character.isDigit(s.charAt(s.length() - 1))) {
                return Duration.ofMillis(Long.parseLong(s));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException(s);
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("--" + key + " must be a duration like 500ms, 10s, 5m, 2h or 7d, got '" + v + "'");
        }
    }
}
