package io.spikestream.cli.kafka;

import io.spikestream.broker.BrokerSecurity;
import io.spikestream.broker.CertificateAuthority;
import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.kafka.access.JobAcls;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./spikestream kafka}: a single-node KRaft broker in the foreground, for local development; with
 * {@code --secure}, secured as production clusters are (SASL_SSL with SCRAM-SHA-512, mutual TLS, ACLs), with
 * the client configuration files its users need.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = {"Run an embedded single-node Kafka broker (KRaft) in the foreground until Ctrl-C.",
            "With --secure: SASL_SSL (SCRAM-SHA-512) on --port, mutual TLS on --mtls-port, ACLs enforced (nothing without one);",
            "certificates in DIR/tls, client settings for each --user and for an admin (super user) in DIR/clients."})
public final class KafkaCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092", description = "Listener port (default 9092); SASL_SSL with --secure.")
    int port;

    @Option(names = "--dir", required = true, description = "Data directory; formatted on first use, reused afterwards.")
    Path dir;

    @Option(names = "--secure", description = "Secure the broker (SASL_SSL, mutual TLS, ACLs).")
    boolean secure;

    @Option(names = "--mtls-port", description = "With --secure: the mutual-TLS listener's port (default: --port + 1).")
    Integer mtlsPort;

    @Option(names = "--user", paramLabel = "NAME", description = "With --secure: a user (SCRAM password and client certificate) "
            + "granted the ACLs of a job with the default topic, group and transactional-id names, and of producing its input and "
            + "consuming its output, and CREATE on those topics (repeatable; default: spikestream).")
    List<String> users = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedKafka.Builder builder = EmbeddedKafka.builder().port(port).dataDir(dir);
        Map<String, String> passwords = new LinkedHashMap<>();
        BrokerSecurity security = null;
        if (secure) {
            security = BrokerSecurity.with(CertificateAuthority.createOrLoad(dir.resolve("tls"), "SpikeStream development CA"))
                    .superUser("admin");
            for (String user : users.isEmpty() ? List.of("spikestream") : users) {
                passwords.put(user, CertificateAuthority.randomPassword()); // a new one each start (the broker updates it)
                security.scramUser(user, passwords.get(user));
            }
            builder.security(security).mutualTlsPort(mtlsPort != null ? mtlsPort : port + 1);
        } else if (mtlsPort != null || !users.isEmpty()) {
            throw new IllegalArgumentException("--mtls-port and --user apply to --secure");
        }
        EmbeddedKafka kafka = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            stopped.countDown();
        }, "spikestream-kafka-shutdown"));
        if (secure) {
            writeClients(kafka, security, passwords);
        } else {
            System.out.println("Kafka ready: bootstrap servers " + kafka.bootstrapServers() + ", data in " + kafka.dataDir().toAbsolutePath()
                    + " (Ctrl-C stops)");
        }
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Grants each user the default job's ACLs and writes its client settings; prints where (never a password). */
    private void writeClients(EmbeddedKafka kafka, BrokerSecurity security, Map<String, String> passwords) throws Exception {
        Path clients = dir.resolve("clients");
        Files.createDirectories(clients);
        Map<String, String> admin = new LinkedHashMap<>(security.mutualTlsClient("admin"));
        admin.put("bootstrap.servers", kafka.mutualTlsBootstrapServers());
        write(clients.resolve("admin.properties"), admin, "a super user over mutual TLS (creates topics, grants ACLs)");
        try (Admin a = Admin.create(properties(kafka.superUserClient()))) {
            for (String user : passwords.keySet()) {
                a.createAcls(developerAcls("User:" + user)).all().get();
                Map<String, String> scram = new LinkedHashMap<>(security.saslClient(BrokerSecurity.SCRAM_MECHANISM, user, passwords.get(user)));
                scram.put("bootstrap.servers", kafka.bootstrapServers());
                write(clients.resolve(user + ".properties"), scram, "User:" + user + " over SASL_SSL, SCRAM-SHA-512");
                Map<String, String> tls = new LinkedHashMap<>(security.mutualTlsClient(user));
                tls.put("bootstrap.servers", kafka.mutualTlsBootstrapServers());
                write(clients.resolve(user + "-mtls.properties"), tls, "User:" + user + " over mutual TLS");
            }
        }
        System.out.println("Kafka ready (secured): SASL_SSL on " + kafka.bootstrapServers() + ", mutual TLS on "
                + kafka.mutualTlsBootstrapServers() + ", ACLs enforced; data in " + kafka.dataDir().toAbsolutePath() + " (Ctrl-C stops)");
        System.out.println("  users " + String.join(", ", passwords.keySet()) + ": the ACLs of a job with the default names "
                + "(topics documents, queries -> enrichments, rejected, alerts; groups spikestream-*; transactional ids spikestream-*), "
                + "and of creating those topics, producing the input and consuming the output");
        System.out.println("  client settings (pass one as --command-config): " + clients.toAbsolutePath() + "/{" + String.join(",",
                passwords.keySet()) + "}.properties, {…}-mtls.properties, admin.properties");
    }

    /**
     * A job with the default names (and its {@code --create-topics}), and {@code produce} of its input and
     * {@code consume} of its output.
     */
    static List<AclBinding> developerAcls(String principal) {
        List<String> input = List.of(Topics.DOCUMENTS, Topics.QUERIES);
        List<String> output = List.of(Topics.ENRICHMENTS, Topics.REJECTED, Topics.ALERTS);
        List<AclBinding> acls = new ArrayList<>(JobAcls.of(principal, input, output, List.of("spikestream-documents", "spikestream-queries"),
                "spikestream"));
        input.forEach(t -> acls.add(JobAcls.allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE)));
        output.forEach(t -> acls.add(JobAcls.allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ)));
        Topics.ALL.forEach(t -> acls.add(JobAcls.allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.CREATE)));
        return acls;
    }

    private static void write(Path file, Map<String, String> settings, String comment) throws IOException {
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
        }
        StringBuilder sb = new StringBuilder("# " + comment + "; written by ./spikestream kafka --secure\n");
        settings.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, sb.toString());
    }

    private static Properties properties(Map<String, String> m) {
        Properties p = new Properties();
        p.putAll(m);
        return p;
    }
}
