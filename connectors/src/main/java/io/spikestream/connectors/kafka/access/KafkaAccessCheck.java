package io.spikestream.connectors.kafka.access;

import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Checks, before anything starts, that Kafka lets these settings do what a command or the job will do: connect
 * (TLS, authentication), read and write the topics, use the consumer groups and the transactional ids. A
 * refusal throws a {@link KafkaRefusal} that names the resource; missing topics are returned (whether that is an
 * error is the caller's to say). Takes a few hundred milliseconds; ends within {@link #TIMEOUT_MS} when nothing
 * answers.
 *
 * <pre>{@code
 * Set<String> missing = KafkaAccessCheck.of(config).reads(List.of("documents")).writes(List.of("enrichments")).run();
 * }</pre>
 *
 * <p>The topics' permissions come from Kafka itself (the operations it reports the principal may do on each
 * topic). A transactional id is checked for DESCRIBE (Kafka has no way to ask for WRITE without writing); a
 * missing WRITE there still stops the job at once, as every refusal does (see {@link RefusalStopsSink}).
 */
public final class KafkaAccessCheck {
    /** How long the check waits for Kafka's answers. */
    public static final int TIMEOUT_MS = 15_000;

    private final KafkaClientConfig config;
    private final Set<String> reads = new LinkedHashSet<>();
    private final Set<String> writes = new LinkedHashSet<>();
    private final Set<String> groups = new LinkedHashSet<>();
    private final Set<String> transactionalIds = new LinkedHashSet<>();

    private KafkaAccessCheck(KafkaClientConfig config) {
        this.config = config;
    }

    public static KafkaAccessCheck of(KafkaClientConfig config) {
        return new KafkaAccessCheck(config);
    }

    public KafkaAccessCheck reads(Collection<String> topics) {
        reads.addAll(topics);
        return this;
    }

    public KafkaAccessCheck writes(Collection<String> topics) {
        writes.addAll(topics);
        return this;
    }

    public KafkaAccessCheck groups(Collection<String> groupIds) {
        groups.addAll(groupIds);
        return this;
    }

    /** Transactional ids (examples of those a sink will use) the principal must be allowed to use. */
    public KafkaAccessCheck transactionalIds(Collection<String> ids) {
        transactionalIds.addAll(ids);
        return this;
    }

    /** Runs the check: returns the topics that do not exist (sorted); throws a {@link KafkaRefusal} for a refusal. */
    public Set<String> run() {
        String bootstrap = config.bootstrapServers();
        if (!config.securityProtocol().toUpperCase(java.util.Locale.ROOT).endsWith("SSL")) {
            refuseIfTls(bootstrap, config.securityProtocol());
        }
        Properties p = config.properties();
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS));
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS - 1000));
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().clusterId().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Set<String> missing = checkTopics(admin);
            checkGroups(admin);
            checkTransactionalIds(admin);
            return missing;
        } catch (ExecutionException e) {
            throw failure(e.getCause(), bootstrap);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + bootstrap + " within " + TIMEOUT_MS / 1000 + " s (security.protocol "
                    + config.securityProtocol() + "): is the broker up, and do the address and security.protocol match its listener?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking access to Kafka at " + bootstrap, e);
        } catch (RuntimeException e) {
            throw failure(e, bootstrap);
        }
    }

    private Set<String> checkTopics(Admin admin) throws InterruptedException {
        Set<String> all = new TreeSet<>(reads);
        all.addAll(writes);
        Set<String> missing = new TreeSet<>();
        if (all.isEmpty()) {
            return missing;
        }
        Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(all, new DescribeTopicsOptions()
                .includeAuthorizedOperations(true)).topicNameValues();
        List<String> refused = new ArrayList<>();
        for (String topic : all) {
            TopicDescription d;
            try {
                d = described.get(topic).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    missing.add(topic);
                    continue;
                }
                if (e.getCause() instanceof TopicAuthorizationException) {
                    // not even DESCRIBE: say what the topic is needed for
                    refused.add((writes.contains(topic) ? "WRITE" : "READ") + " on topic '" + topic + "'");
                    continue;
                }
                throw failureOf(e.getCause(), "topic '" + topic + "'");
            }
            Set<AclOperation> allowed = d.authorizedOperations();
            if (allowed == null) {
                continue; // the broker does not report them: the job will find out
            }
            if (reads.contains(topic) && !allows(allowed, AclOperation.READ)) {
                refused.add("READ on topic '" + topic + "'");
            }
            if (writes.contains(topic) && !allows(allowed, AclOperation.WRITE)) {
                refused.add("WRITE on topic '" + topic + "'");
            }
        }
        if (!refused.isEmpty()) {
            throw KafkaRefusal.of(KafkaRefusal.Kind.AUTHORIZATION, "Kafka refused authorization: " + String.join(", ", refused)
                    + (refused.size() == 1 ? " is" : " are") + " not allowed for this principal; grant the ACLs the job needs "
                    + "(README: Connecting to a secured Kafka; `spikestream job --print-acls User:NAME` lists them)");
        }
        return missing;
    }

    private void checkGroups(Admin admin) throws InterruptedException {
        if (groups.isEmpty()) {
            return;
        }
        Map<String, KafkaFuture<ConsumerGroupDescription>> described = admin.describeConsumerGroups(groups,
                new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true)).describedGroups();
        for (String group : groups) {
            try {
                ConsumerGroupDescription d = described.get(group).get();
                Set<AclOperation> allowed = d.authorizedOperations();
                if (allowed != null && !allowed.isEmpty() && !allows(allowed, AclOperation.READ)) {
                    throw KafkaRefusal.of(KafkaRefusal.Kind.AUTHORIZATION, "Kafka refused authorization: READ on consumer group '" + group
                            + "' is not allowed for this principal (the job commits its offsets there at checkpoints)");
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupIdNotFoundException) {
                    continue; // allowed to see it, and not used yet
                }
                throw failureOf(e.getCause(), "consumer group '" + group + "'");
            }
        }
    }

    private void checkTransactionalIds(Admin admin) throws InterruptedException {
        if (transactionalIds.isEmpty()) {
            return;
        }
        var described = admin.describeTransactions(transactionalIds).all();
        try {
            described.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TransactionalIdNotFoundException) {
                return; // allowed, and not used yet
            }
            throw failureOf(e.getCause(), "transactional ids " + transactionalIds);
        }
    }

    private static boolean allows(Set<AclOperation> allowed, AclOperation op) {
        return allowed.contains(op) || allowed.contains(AclOperation.ALL);
    }

    private static RuntimeException failureOf(Throwable cause, String where) {
        return KafkaRefusal.in(cause, where).<RuntimeException>map(r -> r).orElseGet(() -> cause instanceof RuntimeException r ? r
                : new IllegalStateException(cause.getMessage(), cause));
    }

    private static RuntimeException failure(Throwable cause, String bootstrap) {
        if (cause instanceof KafkaRefusal r) {
            return r;
        }
        if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            return new IllegalStateException("no answer from Kafka at " + bootstrap + " within " + TIMEOUT_MS / 1000
                    + " s: is the broker up, and do the address and security.protocol match its listener? (" + cause.getMessage() + ")", cause);
        }
        return failureOf(cause, "");
    }

    /**
     * A client without TLS pointed at a TLS listener gets no error from Kafka, only disconnections until it times
     * out: ask each bootstrap address for a TLS handshake first, and say so at once when one answers.
     */
    private static void refuseIfTls(String bootstrap, String protocol) {
        for (String address : bootstrap.split(",")) {
            String a = address.trim();
            int colon = a.lastIndexOf(':');
            if (colon <= 0) {
                continue;
            }
            String host = a.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(a.substring(colon + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (speaksTls(host, port)) {
                throw KafkaRefusal.of(KafkaRefusal.Kind.TLS, "Kafka at " + a + " speaks TLS, but security.protocol is " + protocol
                        + ": set security.protocol=SSL (or SASL_SSL) and a trust store (ssl.truststore.*)");
            }
        }
    }

    /** Whether a TLS server answers a handshake there (its certificate is not checked: this only detects TLS). */
    static boolean speaksTls(String host, int port) {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), 2000);
            plain.setSoTimeout(3000);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {new DetectOnly()}, new SecureRandom());
            try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, false)) {
                socket.startHandshake();
                return true;
            } catch (SSLHandshakeException e) {
                // a TLS server that refuses us (no client certificate) still answered in TLS
                return String.valueOf(e.getMessage()).contains("Received fatal alert");
            }
        } catch (IOException | java.security.GeneralSecurityException e) {
            return false;
        }
    }

    /** Accepts any certificate: used only to learn whether a port speaks TLS, never to send data. */
    private static final class DetectOnly implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
