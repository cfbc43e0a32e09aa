package io.spikestream.connectors.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates topics if they do not exist yet (replication factor 1: our single-node set-ups). */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    /**
     * Creates those of {@code topics} that do not exist, with {@code partitions} partitions each; existing
     * topics are left as they are. Returns the names it created.
     */
    public static Set<String> ensure(String bootstrapServers, int partitions, Collection<String> topics) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
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
                        throw new IllegalStateException("could not create topic '" + e.getKey() + "' on " + bootstrapServers
                                + ": " + ex.getCause().getMessage(), ex.getCause());
                    }
                }
            }
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + topics, e);
        }
    }

    /** Those of {@code topics} that do not exist on the cluster (sorted); fails if the cluster cannot be reached. */
    public static Set<String> missing(String bootstrapServers, Collection<String> topics) {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            Set<String> existing = admin.listTopics().names().get();
            Set<String> missing = new TreeSet<>(topics);
            missing.removeAll(existing);
            return missing;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the topics of " + bootstrapServers + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        }
    }
}
