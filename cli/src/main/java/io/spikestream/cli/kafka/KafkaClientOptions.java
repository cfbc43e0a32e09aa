package io.spikestream.cli.kafka;

import io.spikestream.connectors.kafka.client.KafkaClientConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Kafka connection options of every command that opens a Kafka client, in Kafka's own command-line
 * convention (KIP-1147): {@code --bootstrap-servers}, {@code --command-config FILE}, {@code --command-property
 * KEY=VALUE}. A picocli mixin.
 */
public final class KafkaClientOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...",
            description = "Kafka bootstrap servers (required unless the --command-config file has bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "A properties file of Kafka client settings: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.*, ssl.keystore.*, ...")
    Path commandConfig;

    @Option(names = "--command-property", paramLabel = "KEY=VALUE",
            description = "One Kafka client setting, over the file (repeatable).")
    List<String> commandProperties = new ArrayList<>();

    /** The settings for clients of this process; unknown keys are reported on stderr (Kafka ignores them). */
    public KafkaClientConfig config() {
        KafkaClientConfig c = KafkaClientConfig.forCommand(commandConfig, commandProperties, bootstrapServers);
        c.bootstrapServers(); // required
        warnUnknown(c);
        return c;
    }

    /** One line on stderr per setting no Kafka client knows: most likely a typo. */
    public static void warnUnknown(KafkaClientConfig c) {
        for (String key : c.unknownKeys()) {
            System.err.println("spikestream: warning: '" + key + "' (" + c.origin() + ") is not a setting of Kafka's producer, consumer "
                    + "or admin client; they ignore it");
        }
    }
}
