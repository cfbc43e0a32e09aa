package io.spikestream.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;

/**
 * A real single-node Kafka (KRaft combined broker + controller) running inside this JVM, from the
 * {@code kafka_2.13} jars: what {@code kafka-storage.sh format} and {@code kafka-server-start.sh} do, in-process.
 *
 * <p>The data directory is formatted on first use and kept: a new instance on the same directory (and port)
 * sees the topics, committed offsets and transactions of the previous one. Without a data directory, a
 * temporary one is used and deleted on {@link #close()}.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.builder().port(9092).dataDir(Path.of("kafka-data")).start()) {
 *     String bootstrap = kafka.bootstrapServers(); // "localhost:9092"
 * }
 * }</pre>
 *
 * <p>By default it has one PLAINTEXT listener that lets anyone do anything. With {@link Builder#security
 * security(...)} it is secured as production clusters are (SASL_SSL, mutual TLS, ACLs; see {@link BrokerSecurity}):
 * {@link #bootstrapServers()} is then the SASL_SSL listener and {@link #mutualTlsBootstrapServers()} the SSL one.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final int NODE_ID = 1;
    private static final String HOST = "localhost";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final int port;
    private final int mtlsPort;
    private final BrokerSecurity security;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, int port, int mtlsPort, BrokerSecurity security, Path dataDir, boolean deleteOnClose) {
        this.server = server;
        this.port = port;
        this.mtlsPort = mtlsPort;
        this.security = security;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code localhost:PORT}, for clients' {@code bootstrap.servers}: the PLAINTEXT listener, or SASL_SSL when secured. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The listener that requires a client certificate ({@code localhost:PORT}); only when secured. */
    public String mutualTlsBootstrapServers() {
        requireSecured();
        return HOST + ":" + mtlsPort;
    }

    /** How it is secured; only when secured. */
    public BrokerSecurity security() {
        requireSecured();
        return security;
    }

    /** Client settings (with {@code bootstrap.servers}) of a super user: anything, ACLs included, can be done with them. */
    public Map<String, String> superUserClient() {
        Map<String, String> p = new LinkedHashMap<>();
        if (security != null) {
            p.putAll(security.mutualTlsClient(BrokerSecurity.BROKER_USER));
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, mutualTlsBootstrapServers());
        } else {
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        }
        return p;
    }

    private void requireSecured() {
        if (security == null) {
            throw new IllegalStateException("this broker is not secured (EmbeddedKafka.Builder.security)");
        }
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker (waiting for it to finish) and deletes the data directory if it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    /** Options of one broker start. */
    public static final class Builder {
        private int port;
        private int mtlsPort;
        private BrokerSecurity security;
        private Path dataDir;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        /** Client port; 0 (default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Secures the broker: SASL_SSL on {@link #port}, mutual TLS on {@link #mutualTlsPort}, ACLs. */
        public Builder security(BrokerSecurity security) {
            this.security = security;
            return this;
        }

        /** The port of the mutual-TLS listener of a secured broker; 0 (default) picks a free one. */
        public Builder mutualTlsPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            this.mtlsPort = port;
            return this;
        }

        /** Where logs and metadata live; kept across restarts. Default: a temporary directory. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Any other broker setting (server.properties syntax), applied over the single-node defaults. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /** Formats the data directory if needed, starts the broker and waits until it serves clients. */
        public EmbeddedKafka start() throws IOException {
            boolean temporary = dataDir == null;
            Path dir = temporary ? Files.createTempDirectory("spikestream-kafka-") : dataDir.toAbsolutePath();
            Files.createDirectories(dir);
            try {
                return startIn(dir, temporary);
            } catch (RuntimeException | IOException e) {
                if (temporary) {
                    deleteRecursively(dir);
                }
                throw e;
            }
        }

        private EmbeddedKafka startIn(Path dir, boolean temporary) throws IOException {
            // A free port found here can be taken by someone else before the broker binds it: try again then.
            int attempts = port == 0 || (security != null && mtlsPort == 0) ? 3 : 1;
            for (int attempt = 1; ; attempt++) {
                int clientPort = port != 0 ? port : freePort();
                int tlsPort = security == null ? 0 : mtlsPort != 0 ? mtlsPort : freePort();
                KafkaConfig config = new KafkaConfig(properties(dir, clientPort, tlsPort, freePort()), false);
                boolean formatted = formatIfNeeded(config, dir.resolve("logs"), security);
                KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
                try {
                    server.startup();
                } catch (RuntimeException e) {
                    server.shutdown();
                    server.awaitShutdown();
                    if (attempt < attempts && isBindFailure(e)) {
                        continue;
                    }
                    throw new IllegalStateException("Kafka broker failed to start on port " + clientPort + " (data in " + dir
                            + "): " + e.getMessage(), e);
                }
                EmbeddedKafka kafka = new EmbeddedKafka(server, clientPort, tlsPort, security, dir, temporary);
                try {
                    awaitReady(kafka, formatted);
                } catch (RuntimeException e) {
                    kafka.close();
                    throw e;
                }
                return kafka;
            }
        }

        private Map<String, String> properties(Path dir, int clientPort, int mtlsPort, int controllerPort) throws IOException {
            Map<String, String> p = new LinkedHashMap<>();
            p.put("process.roles", "broker,controller");
            p.put("node.id", Integer.toString(NODE_ID));
            // Static voters (not a dynamic quorum): the controller port may change between restarts.
            p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
            p.put("controller.listener.names", "CONTROLLER");
            if (security == null) {
                p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
                p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
                p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
                p.put("inter.broker.listener.name", "PLAINTEXT");
            } else {
                p.putAll(security.brokerProperties(HOST, clientPort, mtlsPort, freePort(), controllerPort));
            }
            p.put("log.dirs", dir.resolve("logs").toString());
            // One node: internal topics cannot have more than one replica, or transactions and groups never start.
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "1");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("transaction.state.log.num.partitions", "1");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("num.partitions", "1");
            // Consumers join at once instead of waiting 3 s for more members.
            p.put("group.initial.rebalance.delay.ms", "0");
            p.putAll(overrides);
            return p;
        }

        /**
         * What {@code kafka-storage.sh format} does (with {@code --add-scram} for the SCRAM users), skipped when the
         * directory already holds a formatted log. Returns whether it formatted.
         */
        private static boolean formatIfNeeded(KafkaConfig config, Path logDir, BrokerSecurity security) throws IOException {
            if (Files.exists(logDir.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME))) {
                return false;
            }
            Files.createDirectories(logDir);
            try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
                Formatter formatter = new Formatter();
                if (security != null && !security.scramUsers().isEmpty()) {
                    formatter.setScramArguments(security.scramFormatArguments());
                }
                formatter
                        .setPrintStream(quiet)
                        .setNodeId(config.nodeId())
                        .setClusterId(Uuid.randomUuid().toString())
                        .setUnstableFeatureVersionsEnabled(false)
                        .setIgnoreFormatted(false)
                        .setControllerListenerName(config.controllerListenerNames().get(0))
                        .setMetadataLogDirectory(config.metadataLogDir())
                        .setHasDynamicQuorum(false)
                        .setDirectories(List.of(logDir.toString()))
                        .run();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("formatting the Kafka log directory " + logDir + " failed: " + e.getMessage(), e);
            }
            return true;
        }

        /**
         * The broker answers metadata requests and lists itself: clients can start. SCRAM users of a directory
         * formatted before are created now (an upsert: an existing user gets the password given).
         */
        private static void awaitReady(EmbeddedKafka kafka, boolean formatted) {
            String bootstrapServers = kafka.bootstrapServers();
            Properties props = new Properties();
            props.putAll(kafka.superUserClient());
            try (Admin admin = Admin.create(props)) {
                var nodes = admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (nodes.isEmpty()) {
                    throw new IllegalStateException("Kafka broker at " + bootstrapServers + " started but lists no nodes");
                }
                if (kafka.security != null && !formatted && !kafka.security.scramUsers().isEmpty()) {
                    List<UserScramCredentialAlteration> users = new ArrayList<>();
                    kafka.security.scramUsers().forEach((name, password) -> users.add(new UserScramCredentialUpsertion(name,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)));
                    admin.alterUserScramCredentials(users).all().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (ExecutionException e) {
                throw new IllegalStateException("Kafka broker at " + bootstrapServers + " does not answer: "
                        + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("Kafka broker at " + bootstrapServers + " not ready after " + READY_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the Kafka broker at " + bootstrapServers, e);
            }
        }

        private static boolean isBindFailure(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.BindException
                        || (t.getMessage() != null && t.getMessage().contains("Socket server failed to bind"))) {
                    return true;
                }
            }
            return false;
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    if (exc != null) {
                        throw exc;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the temporary Kafka directory " + dir, e);
        }
    }
}
