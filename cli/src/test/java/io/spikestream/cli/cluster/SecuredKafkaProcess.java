package io.spikestream.cli.cluster;

import io.spikestream.broker.BrokerSecurity;
import io.spikestream.broker.CertificateAuthority;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A secured Kafka broker as its own process, configured and started the way an operator does it, with Kafka's
 * own tools and none of SpikeStream's broker code: a {@code server.properties} written here, {@code
 * kafka-storage.sh format --add-scram} ({@code kafka.tools.StorageTool}), then {@code kafka-server-start.sh}
 * ({@code kafka.Kafka}), from the Maven jars on the test classpath. SASL_SSL with SCRAM-SHA-512 on one port, an
 * SSL listener that requires client certificates on another, the broker's own traffic over mutual TLS,
 * {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}; super users {@code broker} and
 * {@code admin}. Certificates are made at test time.
 */
final class SecuredKafkaProcess implements AutoCloseable {
    final Path dir;
    final CertificateAuthority ca;
    final int saslPort;
    final int mtlsPort;
    private final Path log;
    private Process process;

    SecuredKafkaProcess(Path dir) throws IOException {
        this.dir = dir;
        this.ca = CertificateAuthority.createOrLoad(dir.resolve("tls"), "operator's CA");
        this.saslPort = freePort();
        this.mtlsPort = freePort();
        this.log = dir.resolve("kafka.log");
    }

    String saslBootstrap() {
        return "localhost:" + saslPort;
    }

    String mtlsBootstrap() {
        return "localhost:" + mtlsPort;
    }

    /** Formats the log directory with these SCRAM users (name -> password), then starts the broker and waits for it. */
    void start(Map<String, String> scramUsers) throws Exception {
        int internal = freePort();
        int controller = freePort();
        CertificateAuthority.KeyStoreFile store = ca.issue("broker");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@localhost:" + controller);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listeners", "SASL_SSL://localhost:" + saslPort + ",SSL://localhost:" + mtlsPort + ",INTERNAL://localhost:" + internal
                + ",CONTROLLER://localhost:" + controller);
        p.put("advertised.listeners", "SASL_SSL://localhost:" + saslPort + ",SSL://localhost:" + mtlsPort + ",INTERNAL://localhost:" + internal);
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,SSL:SSL,INTERNAL:SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("log.dirs", dir.resolve("data").toString());
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", store.path().toString());
        p.put("ssl.keystore.password", store.password());
        p.put("ssl.key.password", store.password());
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", ca.trustStore().toString());
        p.put("listener.name.ssl.ssl.client.auth", "required");
        p.put("listener.name.internal.ssl.client.auth", "required");
        p.put("listener.name.controller.ssl.client.auth", "required");
        p.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)$/$1/,DEFAULT");
        p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("allow.everyone.if.no.acl.found", "false");
        p.put("super.users", "User:broker;User:admin");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        Path config = dir.resolve("server.properties");
        StringBuilder sb = new StringBuilder();
        p.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        Files.writeString(config, sb.toString());

        List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format", "-t", org.apache.kafka.common.Uuid.randomUuid().toString(), "-c", config.toString()));
        scramUsers.forEach((name, password) -> format.addAll(List.of("--add-scram", "SCRAM-SHA-512=[name=" + name + ",password=" + password + "]")));
        Process f = java(format).start();
        if (!f.waitFor(60, TimeUnit.SECONDS) || f.exitValue() != 0) {
            throw new IllegalStateException("kafka-storage format failed:\n" + Files.readString(log));
        }
        process = java(List.of("kafka.Kafka", config.toString())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!open(saslPort) || !open(mtlsPort)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not start:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    /** Client settings of the super user {@code admin} (mutual TLS). */
    Map<String, String> admin() {
        return mutualTls("admin");
    }

    /** Client settings (a user writes the same for any broker; the broker's side above is Kafka's own). */
    Map<String, String> mutualTls(String user) {
        Map<String, String> c = new LinkedHashMap<>(BrokerSecurity.mutualTlsClient(ca, user));
        c.put("bootstrap.servers", mtlsBootstrap());
        return c;
    }

    Map<String, String> scram(String user, String password) {
        Map<String, String> c = new LinkedHashMap<>(BrokerSecurity.saslClient(ca, "SCRAM-SHA-512", user, password));
        c.put("bootstrap.servers", saslBootstrap());
        return c;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    private ProcessBuilder java(List<String> args) {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path")));
        c.addAll(args);
        return new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    private static boolean open(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("localhost", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }
}
