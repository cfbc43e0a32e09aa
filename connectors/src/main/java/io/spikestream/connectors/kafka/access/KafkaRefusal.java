package io.spikestream.connectors.kafka.access;

import io.spikestream.connectors.kafka.client.Secrets;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Kafka refused SpikeStream: the credentials (authentication), the ACLs (authorization) or the TLS handshake.
 * None of these heals by retrying, so a job that meets one stops at once with this reason instead of restarting
 * forever ({@link #failFast}); commands print it and exit.
 *
 * <p>The message says which of the three, as Kafka reported it, and the resource when Kafka names it (a topic, a
 * consumer group) or the caller knows it (the transactional ids of a sink). It never holds a secret.
 */
public final class KafkaRefusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What Kafka refused. */
    public enum Kind {
        AUTHENTICATION, AUTHORIZATION, TLS
    }

    private final Kind kind;

    private KafkaRefusal(Kind kind, String message, Throwable cause) {
        super(Secrets.scrub(message), cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** A refusal SpikeStream found itself (a check of the ACLs before starting, a TLS probe). */
    public static KafkaRefusal of(Kind kind, String message) {
        return new KafkaRefusal(kind, message, null);
    }

    /**
     * The refusal among {@code failure}'s causes, if any. {@code where} says what was connecting (a sink's topic
     * and transactional ids, a source's topics); it may be empty.
     */
    public static Optional<KafkaRefusal> in(Throwable failure, String where) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof KafkaRefusal r) {
                return Optional.of(r);
            }
            String at = where == null || where.isEmpty() ? "" : " (" + where + ")";
            if (t instanceof SslAuthenticationException e) {
                return Optional.of(new KafkaRefusal(Kind.TLS, "Kafka refused the TLS handshake" + at + ": " + tlsHint(e) + detail(e), e));
            }
            if (t instanceof AuthenticationException e) {
                return Optional.of(new KafkaRefusal(Kind.AUTHENTICATION, "Kafka refused authentication" + at
                        + ": wrong user name or password, an unknown user, or a SASL mechanism the broker does not enable" + detail(e), e));
            }
            if (t instanceof AuthorizationException e) {
                return Optional.of(new KafkaRefusal(Kind.AUTHORIZATION, "Kafka refused authorization" + at + ": " + resource(e, where)
                        + " is not allowed for this principal; grant the ACLs the job needs (README: Connecting to a secured Kafka)"
                        + detail(e), e));
            }
        }
        return Optional.empty();
    }

    /**
     * What a job throws for {@code failure}: a refusal wrapped so that Flink does not restart the job (it fails
     * once, with the reason); anything else as it was (transient failures restart as configured).
     */
    public static Exception failFast(Exception failure, String where) {
        Optional<KafkaRefusal> refusal = in(failure, where);
        return refusal.isPresent() ? new SuppressRestartsException(refusal.get()) : failure;
    }

    /** Like {@link #failFast(Exception, String)} for unchecked failures. */
    public static RuntimeException failFast(RuntimeException failure, String where) {
        Optional<KafkaRefusal> refusal = in(failure, where);
        return refusal.isPresent() ? new SuppressRestartsException(refusal.get()) : failure;
    }

    private static String resource(AuthorizationException e, String where) {
        if (e instanceof TopicAuthorizationException t && !t.unauthorizedTopics().isEmpty()) {
            return "access to topic" + (t.unauthorizedTopics().size() == 1 ? " " : "s ") + quoted(t.unauthorizedTopics());
        }
        if (e instanceof GroupAuthorizationException g && g.groupId() != null) {
            return "access to consumer group '" + g.groupId() + "'";
        }
        if (e instanceof TransactionalIdAuthorizationException) {
            return "WRITE on the transactional ids" + (where == null || where.isEmpty() ? "" : " of " + where);
        }
        if (e instanceof ClusterAuthorizationException) {
            return "a cluster operation (IDEMPOTENT_WRITE on old brokers)";
        }
        return "an operation";
    }

    private static String quoted(Set<String> names) {
        return names.stream().sorted().map(n -> "'" + n + "'").reduce((a, b) -> a + ", " + b).orElse("");
    }

    /** What usually causes the handshake failure Kafka reports, from the JDK's own words. */
    private static String tlsHint(SslAuthenticationException e) {
        String all = chainText(e);
        if (all.contains("PKIX") || all.contains("unable to find valid certification path")) {
            return "the broker's certificate is not trusted (ssl.truststore.*)";
        }
        if (all.contains("No subject alternative") || all.contains("doesn't match any of the subject alternative names")) {
            return "the broker's certificate does not name the host connected to (ssl.endpoint.identification.algorithm)";
        }
        if (all.contains("Unrecognized SSL message") || all.contains("plaintext connection")) {
            return "the port does not speak TLS (is security.protocol right?)";
        }
        if (all.contains("post-handshake") || all.contains("certificate_required") || all.contains("bad_certificate")
                || all.contains("Empty client certificate chain")) {
            return "the broker requires a client certificate it trusts (ssl.keystore.*)";
        }
        return "the TLS handshake failed";
    }

    private static String chainText(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            sb.append(t.getMessage()).append(' ');
        }
        return sb.toString();
    }

    /** Kafka's own words, and the JDK's below them for TLS. */
    private static String detail(Throwable e) {
        StringBuilder sb = new StringBuilder(" [").append(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        Throwable root = e;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (root.getCause() != null && seen.add(root)) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !String.valueOf(e.getMessage()).contains(root.getMessage())) {
            sb.append("; ").append(root.getClass().getSimpleName()).append(": ").append(root.getMessage());
        }
        return sb.append(']').toString();
    }
}
