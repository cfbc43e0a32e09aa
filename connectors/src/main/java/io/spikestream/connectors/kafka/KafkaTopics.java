package io.spikestream.connectors.kafka;

import io.spikestream.connectors.kafka.access.KafkaRefusal;
import io.spikestream.connectors.kafka.client.KafkaClientConfig;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates topics if they do not exist yet (replication factor 1: our single-node set-ups). */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    /** {@link #ensure(KafkaClientConfig, int, Collection)} on an unsecured cluster. */
    public static Set<String> ensure(String bootstrapServers, int partitions, Collection<String> topics) {
        return ensure(KafkaClientConfig.bootstrapOnly(bootstrapServers), partitions, topics);
    }

    /**
     * Creates those of {@code topics} that do not exist, with {@code partitions} partitions each; existing
     * topics are left as they are. Returns the names it created. A refusal (no CREATE ACL, bad credentials) is a
     * {@link io.spikestream.connectors.kafka.access.KafkaRefusal}.
     */
    public static Set<String> ensure(KafkaClientConfig client, int partitions, Collection<String> topics) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        try (Admin admin = Admin.create(client.properties())) {
            List<NewTopic> wanted = new ArrayList<>();
            for (String topic : new TreeSet<>(topics)) {
                wanted.add(new NewTopic(topic, partitions, (short) 1));
            }
            CreateTopicsResult result = admin.createTopics(wanted);
            Set<String> created = new TreeSet<>();
            for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
                try {
                    e.getValue().get();
                    created.add(e.getKey());
                } catch (ExecutionException ex) {
                    // An existing topic is the idempotent case; everything else is a real failure.
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw KafkaRefusal.in(ex.getCause(), "creating topic '" + e.getKey() + "'").<RuntimeException>map(r -> r)
                                .orElseGet(() -> new IllegalStateException("could not create topic '" + e.getKey() + "' on "
                                        + client.bootstrapServers() + ": " + ex.getCause().getMessage(), ex.getCause()));
                    }
                }
            }
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + topics, e);
        }
    }
}
