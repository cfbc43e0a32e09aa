package io.spikestream.connectors.kafka.client;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.provider.FileConfigProvider;

/**
 * The Kafka client settings a user gives SpikeStream, in Kafka's own command-line convention (Kafka 4.2,
 * KIP-1147): {@code --command-config FILE}, a properties file of client settings ({@code security.protocol},
 * {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.*}, {@code ssl.keystore.*}, ...), and
 * {@code --command-property KEY=VALUE}, repeatable, over the file; {@code --bootstrap-servers} over both. They
 * apply to every connection: the job's source, its sinks and its checks, {@code produce}, {@code consume}.
 *
 * <p>Settings SpikeStream owns are refused, naming the setting and why ({@link #OWNED}); a value equal to
 * SpikeStream's own (say {@code acks=all}) is accepted. {@link #toString()} hides every secret.
 *
 * <p>Two forms: {@link #forCommand} holds the values as given (a client opened in this process), {@link #forJob}
 * holds each secret of the file as a reference to the file ({@code ${spikestream:/path/client.properties:key}},
 * resolved by Kafka's {@link FileConfigProvider} where the client opens), so that no secret travels in the job
 * graph, Flink's lineage or its web UI. A job therefore refuses secrets given with {@code --command-property}.
 */
public final class KafkaClientConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The config provider alias of the job's file references. */
    static final String PROVIDER = "spikestream";

    /** Settings SpikeStream sets itself: key -> why it cannot be changed. */
    public static final Map<String, String> OWNED = owned();

    /** The values of owned settings that are SpikeStream's own (accepted when given). */
    private static final Map<String, Set<String>> OWN_VALUES = Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, Set.of("read_committed"),
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Set.of("true"),
            ProducerConfig.ACKS_CONFIG, Set.of("all", "-1"),
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, Set.of("false"));

    private final Map<String, String> settings;
    private final String origin;

    private KafkaClientConfig(Map<String, String> settings, String origin) {
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.origin = origin;
    }

    /** Plain settings (no file): {@code bootstrap.servers} and whatever else, checked like a file's. */
    public static KafkaClientConfig of(Map<String, String> settings) {
        Map<String, String> s = new LinkedHashMap<>(settings);
        refuseOwned(s, "the settings given");
        rememberSecrets(s);
        return new KafkaClientConfig(s, "");
    }

    /** Only {@code bootstrap.servers}: an unsecured (PLAINTEXT) cluster. */
    public static KafkaClientConfig bootstrapOnly(String bootstrapServers) {
        return of(Map.of(CommonSettings.BOOTSTRAP_SERVERS, bootstrapServers));
    }

    /**
     * For clients opened by this process: the file's settings (if {@code file} is not null), the properties
     * over them, {@code bootstrapServers} (if not null) over both.
     */
    public static KafkaClientConfig forCommand(Path file, List<String> properties, String bootstrapServers) {
        Layers l = Layers.read(file, properties, bootstrapServers);
        return new KafkaClientConfig(l.merged, l.origin());
    }

    /**
     * For a Flink job: as {@link #forCommand}, but every secret of the file becomes a reference to the file, read
     * by the JobManager and TaskManagers where they run (the file must be there, at the same absolute path).
     * A secret given as a property is refused: it would travel in the job graph (and show in {@code ps}).
     */
    public static KafkaClientConfig forJob(Path file, List<String> properties, String bootstrapServers) {
        Layers l = Layers.read(file, properties, bootstrapServers);
        Map<String, String> s = new LinkedHashMap<>(l.merged);
        boolean referenced = false;
        for (Map.Entry<String, String> e : l.merged.entrySet()) {
            String key = e.getKey();
            if (!Secrets.isSecret(key) || e.getValue().startsWith("${")) {
                continue; // not secret, or already a config-provider reference the user chose
            }
            if (l.fromProperties.contains(key)) {
                throw new IllegalArgumentException("--command-property " + key + " is a secret: put it in the --command-config file "
                        + "instead. A job reads the file where it runs (the JobManager and every TaskManager); a secret on the "
                        + "command line would travel in the job graph and show in the process list");
            }
            String path = l.file.toAbsolutePath().toString();
            if (path.contains(":") || path.contains("}")) {
                throw new IllegalArgumentException("the --command-config path " + path + " holds ':' or '}', which Kafka's "
                        + "config-provider references cannot carry: move the file");
            }
            s.put(key, "${" + PROVIDER + ":" + path + ":" + key + "}");
            referenced = true;
        }
        if (referenced) {
            String providers = s.get(CommonSettings.CONFIG_PROVIDERS);
            s.put(CommonSettings.CONFIG_PROVIDERS, providers == null || providers.isBlank() ? PROVIDER : providers + "," + PROVIDER);
            s.put(CommonSettings.CONFIG_PROVIDERS + "." + PROVIDER + ".class", FileConfigProvider.class.getName());
        }
        return new KafkaClientConfig(s, l.origin());
    }

    /** {@code bootstrap.servers}, or a clear error when neither the option nor the file gave it. */
    public String bootstrapServers() {
        String b = settings.get(CommonSettings.BOOTSTRAP_SERVERS);
        if (b == null || b.isBlank()) {
            throw new IllegalArgumentException("--bootstrap-servers is required (or bootstrap.servers in the --command-config file)");
        }
        return b;
    }

    /** Every setting, as a client takes them. */
    public Map<String, String> settings() {
        return settings;
    }

    public Properties properties() {
        Properties p = new Properties();
        p.putAll(settings);
        return p;
    }

    /** The security protocol the clients use ({@code PLAINTEXT} unless set). */
    public String securityProtocol() {
        return settings.getOrDefault(CommonSettings.SECURITY_PROTOCOL, "PLAINTEXT");
    }

    /** Keys no Kafka producer, consumer or admin client knows (they ignore them): a typo, most likely. */
    public Set<String> unknownKeys() {
        Set<String> unknown = new TreeSet<>();
        for (String key : settings.keySet()) {
            if (!CommonSettings.known(key)) {
                unknown.add(key);
            }
        }
        return unknown;
    }

    /** Where the settings came from, for messages ("client.properties and 2 --command-property"). */
    public String origin() {
        return origin;
    }

    /** One line: the protocol, the mechanism and where they came from; no secret. */
    public String summary() {
        String mechanism = settings.get("sasl.mechanism");
        return securityProtocol() + (securityProtocol().startsWith("SASL") ? " " + (mechanism == null ? "GSSAPI" : mechanism) : "")
                + (origin.isEmpty() ? "" : " (" + origin + ")");
    }

    /** Every setting, secrets as {@code [hidden]}. */
    @Override
    public String toString() {
        return Secrets.redact(settings).toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaClientConfig other && settings.equals(other.settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }

    private static void rememberSecrets(Map<String, String> settings) {
        settings.forEach((k, v) -> {
            if (Secrets.isSecret(k)) {
                Secrets.remember(k, v);
            }
        });
    }

    private static void refuseOwned(Map<String, String> settings, String where) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String reason = OWNED.get(e.getKey());
            if (reason == null) {
                continue;
            }
            Set<String> own = OWN_VALUES.get(e.getKey());
            if (own == null || !own.contains(e.getValue().trim().toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException(e.getKey() + " cannot be set (" + where + " set it to '"
                        + (Secrets.isSecret(e.getKey()) ? Secrets.HIDDEN : e.getValue()) + "'): " + reason);
            }
        }
    }

    private static Map<String, String> owned() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "SpikeStream reads with read_committed, so that records of aborted or open "
                + "transactions never reach the job or consume; exactly-once depends on it");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "SpikeStream's producers are idempotent (exactly-once output, no duplicates "
                + "on retries)");
        m.put(ProducerConfig.ACKS_CONFIG, "idempotent and transactional producers write with acks=all");
        m.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the job derives one transactional id per sink and subtask from "
                + "--transactional-id-prefix; a fixed id would fence the job's own producers");
        m.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "use --transaction-timeout, which the job checks against the checkpoint interval");
        m.put(ConsumerConfig.GROUP_ID_CONFIG, "use --group-id (the job derives one group per source from it)");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "the job's offsets live in Flink's checkpoints; consume commits none");
        for (String k : List.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG)) {
            m.put(k, "SpikeStream reads and writes the records' bytes itself (Avro, UTF-8 text, JSON)");
        }
        return Collections.unmodifiableMap(m);
    }

    /** Names of the common client settings, and which names Kafka's clients know. */
    static final class CommonSettings {
        static final String BOOTSTRAP_SERVERS = AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG;
        static final String SECURITY_PROTOCOL = AdminClientConfig.SECURITY_PROTOCOL_CONFIG;
        static final String CONFIG_PROVIDERS = "config.providers";
        private static final Set<String> KNOWN = known();

        static boolean known(String key) {
            return KNOWN.contains(key) || key.startsWith(CONFIG_PROVIDERS + ".");
        }

        private static Set<String> known() {
            Set<String> s = new java.util.HashSet<>();
            s.addAll(ProducerConfig.configNames());
            s.addAll(ConsumerConfig.configNames());
            s.addAll(AdminClientConfig.configNames());
            return Set.copyOf(s);
        }
    }

    /** The file, the properties and the option, read and merged in that order of precedence. */
    private static final class Layers {
        Path file;
        final Map<String, String> merged = new LinkedHashMap<>();
        final Set<String> fromProperties = new LinkedHashSet<>();
        int propertyCount;

        static Layers read(Path file, List<String> properties, String bootstrapServers) {
            Layers l = new Layers();
            l.file = file;
            if (file != null) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    p.load(r); // UTF-8, as Kafka's FileConfigProvider reads it where the job runs
                } catch (NoSuchFileException e) {
                    throw new IllegalArgumentException("--command-config " + file + ": no such file");
                } catch (IOException e) {
                    throw new UncheckedIOException("--command-config " + file + " cannot be read: " + e.getMessage(), e);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--command-config " + file + " is not a properties file: " + e.getMessage());
                }
                for (String key : new TreeSet<>(p.stringPropertyNames())) {
                    l.merged.put(key, p.getProperty(key));
                }
                refuseOwned(l.merged, "--command-config " + file);
            }
            for (String property : properties == null ? List.<String>of() : properties) {
                int eq = property.indexOf('=');
                if (eq <= 0 || property.substring(0, eq).isBlank()) {
                    // not echoed: a mistyped argument may well be a secret
                    throw new IllegalArgumentException("--command-property takes KEY=VALUE; one of them has " + (eq < 0 ? "no '='" : "no key"));
                }
                String key = property.substring(0, eq).trim();
                Map<String, String> one = Map.of(key, property.substring(eq + 1));
                refuseOwned(one, "--command-property");
                l.merged.put(key, one.get(key));
                l.fromProperties.add(key);
                l.propertyCount++;
            }
            if (bootstrapServers != null && !bootstrapServers.isBlank()) {
                l.merged.put(CommonSettings.BOOTSTRAP_SERVERS, bootstrapServers);
            }
            rememberSecrets(l.merged);
            return l;
        }

        String origin() {
            String f = file == null ? "" : file.toString();
            String p = propertyCount == 0 ? "" : propertyCount + " --command-property";
            return f.isEmpty() ? p : p.isEmpty() ? f : f + " and " + p;
        }
    }
}
