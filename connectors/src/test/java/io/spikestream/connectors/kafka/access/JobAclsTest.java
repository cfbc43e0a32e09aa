package io.spikestream.connectors.kafka.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class JobAclsTest {
    @Test
    void theJobsAclsAsKafkaAclsCommands() {
        List<String> lines = JobAcls.asCommands(JobAcls.of("User:alice", List.of("documents", "queries"), List.of("enrichments", "rejected"),
                List.of("spikestream-documents"), "spikestream"), "kafka:9093");
        assertThat(lines).containsExactly(
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Read --topic 'documents'",
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Read --topic 'queries'",
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Read --group 'spikestream-documents'",
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Write --topic 'enrichments'",
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Write --topic 'rejected'",
                "kafka-acls.sh --bootstrap-server kafka:9093 --command-config admin.properties --add --allow-principal User:alice --operation Write --transactional-id 'spikestream-' --resource-pattern-type prefixed");
        assertThatThrownBy(() -> JobAcls.of("alice", List.of(), List.of(), List.of(), "p")).hasMessageContaining("User:alice");
    }
}
