package io.spikestream.sql;

import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * score_lines between Kafka tables in JSON: the committed output equals each key's lines scored offline, with
 * and without a failure injected after checkpoints (exactly-once sink, read_committed).
 */
class ScoreLinesKafkaITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final ObjectMapper JSON = new ObjectMapper();

    /** score_lines that fails once, at its 20th row, after checkpoints have completed (rows come 50 ms apart). */
    public static class FailingOnce extends ScoreLines {
        private static final long serialVersionUID = 1L;
        static final AtomicInteger ROWS = new AtomicInteger();
        static final AtomicBoolean FAILED = new AtomicBoolean();

        @Override
        public void eval(Context ctx,
                         @StateHint Progress progress,
                         @StateHint MapView<Integer, byte[]> engineState,
                         @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                         @ArgumentHint(name = "text_column") String textColumn,
                         @ArgumentHint(name = "model") String model,
                         @ArgumentHint(name = "alert_threshold", isOptional = true) String alertThreshold,
                         @ArgumentHint(name = "state_ttl", isOptional = true) String stateTtl) throws Exception {
            Thread.sleep(50);
            if (ROWS.incrementAndGet() == 20 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at the 20th row");
            }
            super.eval(ctx, progress, engineState, input, textColumn, model, alertThreshold, stateTtl);
        }
    }

    static String produce() throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("logs");
        KAFKA.createTopics(2, topic);
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String[] r : ScoreLinesITCase.rows()) {
                ObjectNode o = JSON.createObjectNode().put("service", r[0]).put("message", r[1]);
                producer.send(new ProducerRecord<>(topic, r[0].getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(o))).get();
            }
        }
        return topic;
    }

    Map<String, List<String>> run(Class<? extends ScoreLines> function, double nats) throws Exception {
        String in = produce();
        String out = KafkaBrokerExtension.uniqueTopic("scores");
        KAFKA.createTopics(1, out);
        TableEnvironment t = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        t.getConfig().set("parallelism.default", "2");
        t.getConfig().set("execution.checkpointing.interval", "200ms");
        // the source emits all 30 rows at once: only an unaligned barrier passes them, so that a checkpoint
        // holds part of the document and the failure below restores mid-stream
        t.getConfig().set("execution.checkpointing.unaligned.enabled", "true");
        t.getConfig().set("restart-strategy.type", "fixed-delay");
        t.getConfig().set("restart-strategy.fixed-delay.attempts", "2");
        t.getConfig().set("restart-strategy.fixed-delay.delay", "100ms");
        t.createTemporarySystemFunction("score_lines", function);
        t.executeSql("CREATE TABLE logs (service STRING, message STRING) WITH ('connector' = 'kafka', 'topic' = '" + in + "', "
                + "'properties.bootstrap.servers' = '" + KAFKA.bootstrapServers() + "', 'properties.group.id' = 'g-" + in + "', "
                + "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json')");
        t.executeSql("CREATE TABLE scores (service STRING, line BIGINT, line_text STRING, tokens INT, mean_surprisal DOUBLE, "
                + "max_surprisal DOUBLE, alert BOOLEAN, threshold DOUBLE) WITH ('connector' = 'kafka', 'topic' = '" + out + "', "
                + "'properties.bootstrap.servers' = '" + KAFKA.bootstrapServers() + "', 'format' = 'json', "
                + "'sink.delivery-guarantee' = 'exactly-once', 'properties.transaction.timeout.ms' = '600000', 'sink.transactional-id-prefix' = 't-" + UUID.randomUUID() + "')");
        t.executeSql("INSERT INTO scores SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, text_column => 'message', "
                + "model => '" + ScoreLinesITCase.MODEL + "', alert_threshold => '" + nats + "')").await();
        Map<String, List<String>> got = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(out)) {
            JsonNode n = JSON.readTree(r.value());
            got.computeIfAbsent(n.get("service").asText(), k -> new ArrayList<>()).add(n.toString());
        }
        return got;
    }

    static Map<String, List<String>> expected(double nats) {
        AlertThreshold threshold = AlertThreshold.resolve(Double.toString(nats), ScoreLinesITCase.MODEL).orElseThrow();
        Map<String, List<String>> out = new LinkedHashMap<>();
        ScoreLinesITCase.offline().forEach((key, lines) -> {
            for (LineScore l : lines) {
                ObjectNode o = JSON.createObjectNode().put("service", key).put("line", l.line()).put("line_text", l.text())
                        .put("tokens", (int) (l.tokenEnd() - l.tokenStart()));
                if (l.isScored()) {
                    o.put("mean_surprisal", l.mean()).put("max_surprisal", l.max());
                } else {
                    o.putNull("mean_surprisal").putNull("max_surprisal");
                }
                o.put("alert", threshold.exceeded(l)).put("threshold", threshold.value());
                out.computeIfAbsent(key, k -> new ArrayList<>()).add(o.toString());
            }
        });
        return out;
    }

    @Test
    void committedOutputEqualsTheOfflineScoresWithAndWithoutAFailure() throws Exception {
        double nats = 4.66;
        Map<String, List<String>> expected = expected(nats);
        assertThat(run(ScoreLines.class, nats)).as("failure-free").isEqualTo(expected);
        Map<String, List<String>> recovered = run(FailingOnce.class, nats);
        assertThat(FailingOnce.FAILED).as("the failure was injected").isTrue();
        // 19 rows before the failure, then only those after the restored checkpoint: not all 30 again
        assertThat(FailingOnce.ROWS.get()).as("rows applied over both attempts").isLessThan(20 + 30);
        assertThat(recovered).as("after a failure").isEqualTo(expected);
    }
}
