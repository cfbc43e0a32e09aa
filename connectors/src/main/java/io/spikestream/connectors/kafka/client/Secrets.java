package io.spikestream.connectors.kafka.client;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Which Kafka client settings are secrets, and their redaction as Kafka does it ({@code [hidden]}). A secret is a
 * setting Kafka itself types as a password ({@code sasl.jaas.config}, {@code ssl.keystore.password}, ...) or one
 * whose name says so ({@code password}, {@code secret}, {@code jaas}, {@code credentials}, {@code token}).
 *
 * <p>Every secret value a configuration of this process was loaded with is remembered, and so are the quoted
 * passwords inside JAAS settings, so that {@link #scrub} can take them out of any text SpikeStream is about to
 * print — exception messages included, whatever library wrote them.
 */
public final class Secrets {
    public static final String HIDDEN = "[hidden]";

    private static final Set<String> PASSWORD_TYPED = passwordTyped();
    private static final Pattern QUOTED_SECRET = Pattern.compile("(?i)[a-z0-9_.]*(?:password|secret|token|key)[a-z0-9_.]*\\s*=\\s*\"([^\"]*)\"");
    private static final Set<String> KNOWN_VALUES = ConcurrentHashMap.newKeySet();
    private static final int SHORTEST = 4;

    private Secrets() {
    }

    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return PASSWORD_TYPED.contains(k) || k.contains("password") || k.contains("secret") || k.contains("jaas")
                || k.contains("credentials") || k.contains("token") || k.endsWith(".key") || k.endsWith("passphrase");
    }

    /** A copy with every secret's value replaced by {@code [hidden]}. */
    public static Map<String, String> redact(Map<String, String> settings) {
        Map<String, String> out = new LinkedHashMap<>();
        settings.forEach((k, v) -> out.put(k, isSecret(k) ? HIDDEN : v));
        return out;
    }

    /** Remembers {@code value} (the value of the secret setting {@code key}) for {@link #scrub}. */
    static void remember(String key, String value) {
        if (value == null || value.startsWith("${")) {
            return;
        }
        add(value);
        Matcher m = QUOTED_SECRET.matcher(value);
        while (m.find()) {
            add(m.group(1));
        }
    }

    /** Values shorter than {@value #SHORTEST} are not scrubbed: they would cut up any text (and are no real secret). */
    private static void add(String value) {
        if (value.length() >= SHORTEST) {
            KNOWN_VALUES.add(value);
        }
    }

    /** {@code text} with every secret value this process has loaded replaced by {@code [hidden]} (longest first). */
    public static String scrub(String text) {
        if (text == null || KNOWN_VALUES.isEmpty()) {
            return text;
        }
        String out = text;
        List<String> values = KNOWN_VALUES.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        for (String v : values) {
            out = out.replace(v, HIDDEN);
        }
        return out;
    }

    private static Set<String> passwordTyped() {
        Set<String> keys = new java.util.HashSet<>();
        for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(), AdminClientConfig.configDef())) {
            def.configKeys().forEach((name, key) -> {
                if (key.type == ConfigDef.Type.PASSWORD) {
                    keys.add(name);
                }
            });
        }
        return Set.copyOf(keys);
    }
}
