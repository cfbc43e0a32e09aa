package io.spikestream.broker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a secured {@link EmbeddedKafka} is reached, the way production clusters are set up: clients connect over
 * SASL_SSL (SCRAM-SHA-512 users, created when the log directory is formatted, and SASL/PLAIN users, as Confluent
 * Cloud's API keys are) or over an SSL listener that requires a client certificate (mutual TLS: the
 * certificate's CN is the user). The broker talks to itself and its controller over mutual TLS too, as
 * {@code User:broker}. {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}: a user can
 * do nothing without an ACL; super users ({@code broker} and those named) can do everything.
 *
 * <pre>{@code
 * CertificateAuthority ca = CertificateAuthority.createOrLoad(dir.resolve("tls"), "SpikeStream test CA");
 * EmbeddedKafka kafka = EmbeddedKafka.builder()
 *         .security(BrokerSecurity.with(ca).scramUser("alice", password).superUser("admin"))
 *         .start();
 * }</pre>
 */
public final class BrokerSecurity {
    /** The broker's own principal (its certificate's CN), a super user. */
    public static final String BROKER_USER = "broker";
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

    private final CertificateAuthority ca;
    private final Map<String, String> scramUsers = new LinkedHashMap<>();
    private final Map<String, String> plainUsers = new LinkedHashMap<>();
    private final Set<String> superUsers = new LinkedHashSet<>(List.of(BROKER_USER));

    private BrokerSecurity(CertificateAuthority ca) {
        this.ca = Objects.requireNonNull(ca, "ca");
    }

    public static BrokerSecurity with(CertificateAuthority ca) {
        return new BrokerSecurity(ca);
    }

    /** A SCRAM-SHA-512 user (created at format time, or on start when the directory was formatted before). */
    public BrokerSecurity scramUser(String name, String password) {
        scramUsers.put(checkName(name), checkPassword(password));
        return this;
    }

    /** A SASL/PLAIN user (the listener's JAAS configuration holds it). */
    public BrokerSecurity plainUser(String name, String password) {
        plainUsers.put(checkName(name), checkPassword(password));
        return this;
    }

    /** A principal ({@code User:name}) the authorizer lets do everything. */
    public BrokerSecurity superUser(String name) {
        superUsers.add(checkName(name));
        return this;
    }

    public CertificateAuthority certificateAuthority() {
        return ca;
    }

    Map<String, String> scramUsers() {
        return scramUsers;
    }

    /** The arguments of {@code kafka-storage.sh format --add-scram}. */
    List<String> scramFormatArguments() {
        List<String> args = new ArrayList<>();
        scramUsers.forEach((name, password) -> args.add(SCRAM_MECHANISM + "=[name=" + name + ",password=" + password + "]"));
        return args;
    }

    /** The broker settings of the secured listeners (server.properties keys). */
    Map<String, String> brokerProperties(String host, int saslPort, int mtlsPort, int internalPort, int controllerPort) {
        CertificateAuthority.KeyStoreFile store = ca.issue(BROKER_USER);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", "SASL_SSL://" + host + ":" + saslPort + ",SSL://" + host + ":" + mtlsPort + ",INTERNAL://" + host + ":"
                + internalPort + ",CONTROLLER://" + host + ":" + controllerPort);
        p.put("advertised.listeners", "SASL_SSL://" + host + ":" + saslPort + ",SSL://" + host + ":" + mtlsPort + ",INTERNAL://" + host
                + ":" + internalPort);
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", store.path().toString());
        p.put("ssl.keystore.password", store.password());
        p.put("ssl.key.password", store.password());
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", ca.trustStore().toString());
        for (String listener : List.of("ssl", "internal", "controller")) {
            p.put("listener.name." + listener + ".ssl.client.auth", "required");
        }
        // CN=alice -> User:alice
        p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
        List<String> mechanisms = new ArrayList<>(List.of(SCRAM_MECHANISM));
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        if (!plainUsers.isEmpty()) {
            mechanisms.add("PLAIN");
            StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
            plainUsers.forEach((name, password) -> jaas.append(" user_").append(name).append("=\"").append(password).append('"'));
            p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", jaas.append(';').toString());
        }
        p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", String.join(",", mechanisms));
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("super.users", String.join(";", superUsers.stream().map(u -> "User:" + u).toList()));
        return p;
    }

    /** Client settings of {@code user} over mutual TLS (its key store is issued on first use). */
    public Map<String, String> mutualTlsClient(String user) {
        return mutualTlsClient(ca, user);
    }

    /** Client settings of {@code user} over mutual TLS with a certificate {@code ca} issues (on first use). */
    public static Map<String, String> mutualTlsClient(CertificateAuthority ca, String user) {
        CertificateAuthority.KeyStoreFile store = ca.issue(user);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SSL");
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", ca.trustStore().toString());
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", store.path().toString());
        p.put("ssl.keystore.password", store.password());
        p.put("ssl.key.password", store.password());
        return p;
    }

    /** Client settings of a user over SASL_SSL with {@code mechanism} (SCRAM-SHA-512 or PLAIN). */
    public Map<String, String> saslClient(String mechanism, String user, String password) {
        return saslClient(ca, mechanism, user, password);
    }

    /** Client settings of a user over SASL_SSL with {@code mechanism}, trusting the certificates {@code ca} issues. */
    public static Map<String, String> saslClient(CertificateAuthority ca, String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", mechanism);
        p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", ca.trustStore().toString());
        return p;
    }

    private static String checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a user name is letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        return name;
    }

    private static String checkPassword(String password) {
        if (password == null || password.isEmpty() || password.contains("\"") || password.contains("\\") || password.contains(",")
                || password.contains("]")) {
            throw new IllegalArgumentException("a password must be non-empty and hold no '\"', '\\\\', ',' or ']' (JAAS and "
                    + "--add-scram syntax)");
        }
        return password;
    }
}
