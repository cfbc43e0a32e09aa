package io.spikestream.connectors.kafka;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroCodec;
import io.spikestream.records.AvroDecodeException;
import io.spikestream.connectors.consumer.ConsumeSummary;
import io.spikestream.connectors.consumer.EnrichmentConsumer;
import io.spikestream.connectors.consumer.RecordType;
import io.spikestream.connectors.producer.ChunkProducer;
import io.spikestream.connectors.producer.ProducedDocument;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Real KRaft broker, real Flink MiniCluster: producer, read_committed consumer, exactly-once job with rejections. */
class KafkaRoundTripITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final String TEXT = "2026-11-01 INFO started\n2026-11-01 WARN disk 91% full\r\nCafé ünïcödé 中文 🚀\n".repeat(12);

    @Test
    void producedChunksReassembleTheDocumentInOrder() throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("documents");
        KAFKA.createTopics(3, topic);
        ProducedDocument doc;
        try (ChunkProducer producer = ChunkProducer.builder().bootstrapServers(KAFKA.bootstrapServers()).topic(topic).chunkBytes(100).build()) {
            doc = producer.produce("log-1", new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.UTF_8)), Map.of("source", "test"));
        }
        List<DocumentChunk> chunks = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(topic)) {
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("log-1");
            chunks.add(AvroCodec.documentChunk().decode(r.value()));
        }
        assertThat(chunks).hasSize((int) doc.chunks());
        assertThat(doc.chunks()).isGreaterThan(10);
        for (int i = 0; i < chunks.size(); i++) {
            assertThat(chunks.get(i).getSeq()).isEqualTo(i);
            assertThat(chunks.get(i).getLast()).isEqualTo(i == chunks.size() - 1);
        }
        assertThat(chunks.stream().map(DocumentChunk::getText).collect(Collectors.joining())).isEqualTo(TEXT);
    }

    @Test
    void abortedTransactionsAreInvisibleToTheConsumer() {
        String topic = KafkaBrokerExtension.uniqueTopic("enrichments");
        KAFKA.createTopics(1, topic);
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "abort-test-" + UUID.randomUUID());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, enrichment("aborted", 1)));
            producer.send(new ProducerRecord<>(topic, enrichment("aborted", 2)));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, enrichment("committed", 3)));
            producer.commitTransaction();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ConsumeSummary s = EnrichmentConsumer.builder().bootstrapServers(KAFKA.bootstrapServers()).topic(topic).type(RecordType.ENRICHMENT)
                .json(true).fromBeginning(true).idleTimeout(Duration.ofSeconds(3)).out(new PrintWriter(out)).err(new PrintWriter(err)).build().run();
        assertThat(s.printed()).isEqualTo(1);
        assertThat(out.toString()).contains("\"docId\":\"committed\"").doesNotContain("aborted");
    }

    static byte[] enrichment(String docId, long seq) {
        return AvroCodec.enrichment().encode(Enrichment.newBuilder().setDocId(docId).setSeq(seq).setQueryId(null)
                .setKind(EnrichmentKind.CHUNK).setTokenStart(0).setTokenEnd(0).setMeanSurprisal(null).setMaxSurprisal(null)
                .setPerplexity(null).setSpans(List.of()).setEmbedding(null).setAnswer(null).setLabelScores(null).setStateBytes(0)
                .setModelFingerprint("test").setProcessedAtMs(0).setStateBytesWritten(0).setError(null).build());
    }

    /** Turns a chunk into a record naming it (the test's stand-in for the model). */
    static final class Describe implements MapFunction<DocumentChunk, Enrichment> {
        private static final long serialVersionUID = 1L;

        @Override
        public Enrichment map(DocumentChunk c) throws AvroDecodeException {
            return AvroCodec.enrichment().decode(enrichment(c.getDocId(), c.getSeq()));
        }
    }

    @Test
    void exactlyOnceJobWritesEveryRecordOnceAndRejectsTheCorruptOne() throws Exception {
        String in = KafkaBrokerExtension.uniqueTopic("documents");
        String out = KafkaBrokerExtension.uniqueTopic("enrichments");
        String rejected = KafkaBrokerExtension.uniqueTopic("rejected");
        KAFKA.createTopics(2, in, out, rejected);
        try (ChunkProducer producer = ChunkProducer.builder().bootstrapServers(KAFKA.bootstrapServers()).topic(in).chunkBytes(200).build()) {
            producer.produce("a", new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.UTF_8)), Map.of());
            producer.produce("b", new ByteArrayInputStream(TEXT.substring(0, 500).getBytes(StandardCharsets.UTF_8)), Map.of());
        }
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(in, "poison".getBytes(StandardCharsets.UTF_8), "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8))).get();
        }
        List<ConsumerRecord<byte[], byte[]>> input = KAFKA.readCommitted(in);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(300);
        SingleOutputStreamOperator<DocumentChunk> chunks = env
                .fromSource(RawKafkaSource.builder().bootstrapServers(KAFKA.bootstrapServers()).topics(in).groupId("it-" + UUID.randomUUID())
                        .bounded(OffsetsInitializer.latest()).build(), WatermarkStrategy.noWatermarks(), "documents")
                .process(new DecodeFunction<>(AvroCodec.documentChunk()));
        chunks.map(new Describe()).sinkTo(AvroKafkaSink.enrichments().bootstrapServers(KAFKA.bootstrapServers()).topic(out)
                .transactionalIdPrefix("it-out-" + UUID.randomUUID()).build());
        chunks.getSideOutput(DecodeFunction.REJECTED).sinkTo(AvroKafkaSink.rejected().bootstrapServers(KAFKA.bootstrapServers())
                .topic(rejected).transactionalIdPrefix("it-rej-" + UUID.randomUUID()).build());
        env.execute("round trip");

        List<String> expected = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : input) {
            try {
                DocumentChunk c = AvroCodec.documentChunk().decode(r.value());
                expected.add(c.getDocId() + "#" + c.getSeq());
            } catch (AvroDecodeException e) {
                // the poison record
            }
        }
        List<String> written = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : KAFKA.readCommitted(out)) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getDocId());
            written.add(e.getDocId() + "#" + e.getSeq());
        }
        assertThat(written).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(expected).hasSize(input.size() - 1);
        List<ConsumerRecord<byte[], byte[]>> rej = KAFKA.readCommitted(rejected);
        assertThat(rej).hasSize(1);
        Rejected r = AvroCodec.rejected().decode(rej.get(0).value());
        assertThat(r.getDocId()).isEqualTo("poison");
        assertThat(r.getSourceTopic()).isEqualTo(in);
        assertThat(r.getReason()).startsWith("BAD_MAGIC");
        assertThat(new String(r.getRaw().array(), StandardCharsets.UTF_8)).isEqualTo("{\"not\":\"avro\"}");
    }
}
