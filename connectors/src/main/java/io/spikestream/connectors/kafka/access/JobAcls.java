package io.spikestream.connectors.kafka.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs a principal needs to run the SpikeStream job, and nothing more: READ on the input topics and on the
 * job's consumer groups, WRITE on the output topics, WRITE on the transactional ids that start with the job's
 * prefix. READ and WRITE imply DESCRIBE; idempotent writes need only WRITE on the topic (Kafka 3.0+, KIP-679).
 *
 * <pre>{@code
 * List<AclBinding> acls = JobAcls.of("User:alice", List.of("documents", "queries"),
 *         List.of("enrichments", "rejected", "alerts"), List.of("spikestream-documents", "spikestream-queries"), "spikestream");
 * }</pre>
 */
public final class JobAcls {
    private JobAcls() {
    }

    public static List<AclBinding> of(String principal, Collection<String> readTopics, Collection<String> writeTopics,
                                      Collection<String> groups, String transactionalIdPrefix) {
        if (!principal.contains(":")) {
            throw new IllegalArgumentException("a principal is TYPE:NAME, e.g. User:alice; got '" + principal + "'");
        }
        List<AclBinding> acls = new ArrayList<>();
        for (String t : readTopics) {
            acls.add(allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.READ));
        }
        for (String g : groups) {
            acls.add(allow(principal, ResourceType.GROUP, g, PatternType.LITERAL, AclOperation.READ));
        }
        for (String t : writeTopics) {
            acls.add(allow(principal, ResourceType.TOPIC, t, PatternType.LITERAL, AclOperation.WRITE));
        }
        acls.add(allow(principal, ResourceType.TRANSACTIONAL_ID, transactionalIdPrefix + "-", PatternType.PREFIXED, AclOperation.WRITE));
        return acls;
    }

    public static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }

    /** Each ACL as the {@code kafka-acls.sh} command that grants it. */
    public static List<String> asCommands(List<AclBinding> acls, String bootstrapServers) {
        List<String> lines = new ArrayList<>();
        for (AclBinding b : acls) {
            ResourcePattern r = b.pattern();
            String resource = switch (r.resourceType()) {
                case TOPIC -> "--topic";
                case GROUP -> "--group";
                case TRANSACTIONAL_ID -> "--transactional-id";
                case CLUSTER -> "--cluster";
                default -> "--" + r.resourceType().name().toLowerCase(Locale.ROOT);
            };
            StringBuilder operation = new StringBuilder(); // IDEMPOTENT_WRITE -> IdempotentWrite, as kafka-acls.sh spells it
            for (String word : b.entry().operation().name().split("_")) {
                operation.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
            }
            lines.add("kafka-acls.sh --bootstrap-server " + bootstrapServers + " --command-config admin.properties --add --allow-principal "
                    + b.entry().principal() + " --operation " + operation + " " + resource + " '" + r.name() + "'"
                    + (r.patternType() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : ""));
        }
        return lines;
    }
}
