package io.spikestream.connectors.kafka.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.FlinkRuntimeException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

/** Kafka's exceptions, as its clients throw them (wrapped by the Flink connector), classified. */
class KafkaRefusalTest {

    @Test
    void authenticationFailuresAnywhereInTheChainAreAuthentication() {
        Exception e = new FlinkRuntimeException("Failed to list subscribed topic partitions due to ",
                new SaslAuthenticationException("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"));
        KafkaRefusal r = KafkaRefusal.in(e, "reading topic 'documents'").orElseThrow();
        assertThat(r.kind()).isEqualTo(KafkaRefusal.Kind.AUTHENTICATION);
        assertThat(r).hasMessageStartingWith("Kafka refused authentication (reading topic 'documents'): wrong user name or password")
                .hasMessageContaining("SCRAM-SHA-512");
    }

    @Test
    void tlsFailuresSayWhatTheJdkFound() {
        KafkaRefusal untrusted = KafkaRefusal.in(new SslAuthenticationException("SSL handshake failed",
                new SSLHandshakeException("PKIX path building failed: unable to find valid certification path to requested target")), "").orElseThrow();
        assertThat(untrusted.kind()).isEqualTo(KafkaRefusal.Kind.TLS);
        assertThat(untrusted).hasMessageStartingWith("Kafka refused the TLS handshake: the broker's certificate is not trusted (ssl.truststore.*)")
                .hasMessageContaining("PKIX path building failed");
        KafkaRefusal noCertificate = KafkaRefusal.in(new SslAuthenticationException("Failed to process post-handshake messages"), "").orElseThrow();
        assertThat(noCertificate).hasMessageContaining("requires a client certificate it trusts");
    }

    @Test
    void authorizationFailuresNameTheResource() {
        assertThat(KafkaRefusal.in(new java.io.IOException("One or more Kafka Producer send requests have encountered exception",
                new TopicAuthorizationException(Set.of("enrichments"))), "").orElseThrow())
                .hasMessageContaining("Kafka refused authorization").hasMessageContaining("access to topic 'enrichments' is not allowed");
        assertThat(KafkaRefusal.in(new GroupAuthorizationException("nope", "spikestream-documents"), "").orElseThrow())
                .hasMessageContaining("consumer group 'spikestream-documents'");
        assertThat(KafkaRefusal.in(new TransactionalIdAuthorizationException("Transactional Id authorization failed."),
                "writing topic 'enrichments', transactional ids 'job-enrichments-*'").orElseThrow())
                .hasMessageContaining("WRITE on the transactional ids of writing topic 'enrichments', transactional ids 'job-enrichments-*'");
    }

    @Test
    void aRefusalStopsTheJobAndAnythingElseRestartsAsBefore() {
        Exception refused = new IOException("send failed", new TopicAuthorizationException(Set.of("out")));
        Exception stop = KafkaRefusal.failFast(refused, "");
        assertThat(stop).isInstanceOf(SuppressRestartsException.class).hasCauseInstanceOf(KafkaRefusal.class);
        Exception transientFailure = new IOException("timed out", new TimeoutException("Expiring 3 record(s)"));
        assertThat(KafkaRefusal.failFast(transientFailure, "")).isSameAs(transientFailure);
        assertThat(KafkaRefusal.in(transientFailure, "")).isEmpty();
        // already classified deeper down: found, not wrapped again
        KafkaRefusal inner = KafkaRefusal.in(refused, "").orElseThrow();
        assertThat(KafkaRefusal.in(new RuntimeException(new SuppressRestartsException(inner)), "x")).containsSame(inner);
    }
}
