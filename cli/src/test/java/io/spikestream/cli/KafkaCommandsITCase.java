package io.spikestream.cli;

import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** produce and consume against a real broker, through the CLI entry point. */
class KafkaCommandsITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    @Test
    void produceSplitsFilesIntoDocumentsAndConsumePrintsThem() throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("documents");
        KAFKA.createTopics(2, topic);
        Path a = Files.writeString(tmp.resolve("a.log"), "line one\nline two\nline three\n".repeat(20));
        Path b = Files.writeString(tmp.resolve("b.txt"), "short");
        CliRun produced = CliRun.run("", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--doc-id", "doc",
                "--chunk-bytes", "100", a.toString(), b.toString());
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("doc-0").contains("doc-1");
        CliRun stdin = CliRun.run("from stdin\n", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic,
                "--doc-id", "piped", "-");
        assertThat(stdin.exitCode()).as(stdin.err()).isZero();

        CliRun consumed = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--type", "chunk",
                "--json", "--from-beginning", "--timeout-ms", "3000");
        assertThat(consumed.exitCode()).as(consumed.err()).isZero();
        List<String> lines = consumed.out().lines().toList();
        StringBuilder docA = new StringBuilder();
        int pieces = 0;
        for (String line : lines) {
            Map<String, Object> chunk = Json.parseObject(line);
            if ("doc-0".equals(chunk.get("docId"))) {
                docA.append(chunk.get("text"));
                pieces++;
            }
        }
        assertThat(pieces).isGreaterThan(5);
        assertThat(docA.toString()).isEqualTo(Files.readString(a));
        assertThat(consumed.out()).contains("\"docId\":\"doc-1\"").contains("\"text\":\"short\"").contains("\"docId\":\"piped\"");
    }

    @Test
    void produceLinesPublishesOneRecordPerLineKeyedByTheRegex() throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("lines");
        KAFKA.createTopics(2, topic);
        Path log = Files.writeString(tmp.resolve("service.log"), String.join("\n",
                "boot banner without a service",
                "2026-11-01T00:00:00.001Z INFO  [auth-1] user u1 logged in",
                "2026-11-01T00:00:00.002Z ERROR [payments-0] request 7 failed",
                "java.net.SocketTimeoutException: Read timed out",
                "\tat com.example.payments.PaymentsService.handle(PaymentsService.java:12)",
                "2026-11-01T00:00:00.003Z INFO  [auth-2] token refreshed") + "\n");
        CliRun produced = CliRun.run("", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--lines",
                "--key-regex", "\\[([a-z]+)-\\d+\\]", log.toString());
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        assertThat(produced.out()).contains("6 lines").contains("3 keys");
        Map<String, List<String>> byKey = new java.util.TreeMap<>();
        for (var r : KAFKA.readCommitted(topic).stream().sorted(java.util.Comparator.comparingLong(
                org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>::offset)).toList()) {
            byKey.computeIfAbsent(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), k -> new java.util.ArrayList<>())
                    .add(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(byKey).containsOnlyKeys("service.log", "auth", "payments");
        assertThat(byKey.get("service.log")).containsExactly("boot banner without a service");
        assertThat(byKey.get("auth")).containsExactly("2026-11-01T00:00:00.001Z INFO  [auth-1] user u1 logged in",
                "2026-11-01T00:00:00.003Z INFO  [auth-2] token refreshed");
        // the exception and its frame do not match: they keep the key of their error line
        assertThat(byKey.get("payments")).containsExactly("2026-11-01T00:00:00.002Z ERROR [payments-0] request 7 failed",
                "java.net.SocketTimeoutException: Read timed out", "\tat com.example.payments.PaymentsService.handle(PaymentsService.java:12)");
        CliRun bad = CliRun.run("", "produce", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", topic, "--lines",
                "--key-regex", "no group", log.toString());
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("capturing group");
    }

    @Test
    void consumePrintsAlertsAndRecordCoordinatesUnderTheirSchemaNames() throws Exception {
        String alerts = KafkaBrokerExtension.uniqueTopic("alerts");
        KAFKA.createTopics(1, alerts);
        io.spikestream.avro.Alert alert = io.spikestream.avro.Alert.newBuilder().setDocId("payments").setLine(12).setText("java.lang.OutOfMemoryError")
                .setScore(9.5).setMaxSurprisal(14.25).setThreshold(1.25).setThresholdName("p99.9").setSourceTopic("service-lines")
                .setPartition(1).setOffset(77L).setSeq(null).setRecordKey("payments").setTokenStart(100).setTokenEnd(108)
                .setModelFingerprint("f").setProcessedAtMs(1).build();
        java.util.Properties p = new java.util.Properties();
        p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(p,
                new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(alerts, "payments".getBytes(),
                    io.spikestream.records.AvroCodec.alert().encode(alert))).get();
        }
        CliRun json = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", alerts, "--type", "alert",
                "--json", "--from-beginning", "--timeout-ms", "3000");
        assertThat(json.exitCode()).as(json.err()).isZero();
        Map<String, Object> a = Json.parseObject(json.out().lines().findFirst().orElseThrow());
        assertThat(a).containsEntry("sourceTopic", "service-lines").containsEntry("partition", 1L).containsEntry("offset", 77L)
                .containsEntry("docId", "payments").containsEntry("line", 12L).containsEntry("score", 9.5).containsEntry("threshold", 1.25);
        CliRun text = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", alerts, "--type", "alert",
                "--from-beginning", "--timeout-ms", "3000");
        assertThat(text.out()).contains("ALERT payments line 12 score=9.500 > p99.9 (1.250) service-lines-1@77");

        // a RECORD enrichment: the input record's coordinates and its lines, under the schema's names
        String enrichments = KafkaBrokerExtension.uniqueTopic("enrichments");
        KAFKA.createTopics(1, enrichments);
        io.spikestream.avro.Enrichment record = io.spikestream.avro.Enrichment.newBuilder().setDocId("payments").setSeq(null).setQueryId(null)
                .setKind(io.spikestream.avro.EnrichmentKind.RECORD).setTokenStart(100).setTokenEnd(108).setMeanSurprisal(2.5)
                .setMaxSurprisal(9.0).setPerplexity(12.18).setSpans(List.of()).setEmbedding(null).setAnswer(null).setLabelScores(null)
                .setStateBytes(1000).setStateBytesWritten(900).setModelFingerprint("f").setProcessedAtMs(1).setError(null).setSpikes(null)
                .setSourceTopic("service-lines").setPartition(1).setOffset(77L).setRecordKey("payments")
                .setLines(List.of(io.spikestream.avro.LineSurprisal.newBuilder().setLine(12).setCharStart(0).setCharEnd(26).setTokenStart(100)
                        .setTokenEnd(108).setMeanSurprisal(9.5).setMaxSurprisal(14.25).setText("java.lang.OutOfMemoryError").build()))
                .build();
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(p,
                new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(enrichments, "payments".getBytes(),
                    io.spikestream.records.AvroCodec.enrichment().encode(record))).get();
        }
        CliRun recordJson = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", enrichments, "--json",
                "--from-beginning", "--timeout-ms", "3000");
        assertThat(recordJson.exitCode()).as(recordJson.err()).isZero();
        Map<String, Object> r = Json.parseObject(recordJson.out().lines().findFirst().orElseThrow());
        assertThat(r).containsEntry("kind", "RECORD").containsEntry("sourceTopic", "service-lines").containsEntry("partition", 1L)
                .containsEntry("offset", 77L).containsEntry("recordKey", "payments");
        assertThat(r.get("lines").toString()).contains("meanSurprisal=9.5").contains("tokenStart=100");
    }

    @Test
    void consumeHtmlShadesTheLinesOfAParagraphTopicByTheirParagraph() throws Exception {
        // a job with --segment paragraph: each record one line; a blank line's record completes the paragraph before it
        String[] texts = {"# Title", " ", "first line", "second line", " "};
        io.spikestream.avro.SegmentSurprisal title = io.spikestream.avro.SegmentSurprisal.newBuilder().setKind("paragraph").setFirstLine(0)
                .setLastLine(0).setTokenStart(0).setTokenEnd(3).setTokens(2).setMeanSurprisal(5.0).setContextualSurprisal(1.0).setScore(3.0)
                .setMaxSurprisal(6.0).setText("# Title").build();
        io.spikestream.avro.SegmentSurprisal body = io.spikestream.avro.SegmentSurprisal.newBuilder().setKind("paragraph").setFirstLine(2)
                .setLastLine(3).setTokenStart(4).setTokenEnd(12).setTokens(8).setMeanSurprisal(2.0).setContextualSurprisal(-1.0).setScore(0.5)
                .setMaxSurprisal(4.0).setText("first line\nsecond line").build();
        List<io.spikestream.avro.Enrichment> records = new java.util.ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            boolean blank = texts[i].isBlank();
            records.add(withLine("legal", i, texts[i], blank ? null : 9.0, i == 1 ? List.of(title) : i == 4 ? List.of(body) : null));
        }
        String enrichments = topicWith(records);
        java.nio.file.Path page = java.nio.file.Files.createTempDirectory("consume-html").resolve("legal.html");
        // a threshold in nats: compared with the paragraphs' mean surprisal (5.0 alerts, 2.0 not)
        CliRun run = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", enrichments, "--from-beginning",
                "--timeout-ms", "3000", "--html", page.toString(), "--doc-id", "legal", "--alert-threshold", "4.0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, Object> data = pageData(page);
        assertThat(data.get("subtitle").toString()).contains("5 lines in 2 paragraphs; shaded by paragraph");
        // [text, score, max, alert, line number, mean]: the lines' own 9.0 is not what is drawn, their paragraph's is
        assertThat((List<?>) data.get("lines")).extracting(Object::toString).containsExactly(
                "[# Title, 5.0, 6.0, 1, 1, 5.0]", "[ , null, null, 0, 2, null]", "[first line, 2.0, 4.0, 0, 3, 2.0]",
                "[second line, 2.0, 4.0, 0, 4, 2.0]", "[ , null, null, 0, 5, null]");
        // without a threshold, the paragraphs' length-aware scores are drawn
        CliRun unmarked = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", enrichments, "--from-beginning",
                "--timeout-ms", "3000", "--html", page.toString(), "--doc-id", "legal");
        assertThat(unmarked.exitCode()).as(unmarked.err()).isZero();
        assertThat(java.nio.file.Files.readString(page)).contains("[\"first line\",0.5,4.0,0,3,2.0]");
    }

    @Test
    void consumeHtmlDrawsOneDocumentsLinesFromItsEnrichments() throws Exception {
        // payments' lines 2 and 3, then 0 and 1 (a text topic's records of one key, seen out of order here), and another document
        String enrichments = topicWith(List.of(withLine("payments", 2, "ERROR upstream timed out", 6.5, null), withLine("payments", 3, "", null, null),
                withLine("payments", 0, "INFO started", 0.7, null), withLine("payments", 1, "INFO ready </script>", 1.1, null),
                withLine("auth", 0, "INFO other", 9.0, null)));
        java.nio.file.Path page = java.nio.file.Files.createTempDirectory("consume-html").resolve("payments.html");
        CliRun run = CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", enrichments, "--from-beginning",
                "--timeout-ms", "3000", "--html", page.toString(), "--doc-id", "payments", "--alert-threshold", "1.0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).as("records are drawn, not printed").isEmpty();
        assertThat(run.err()).contains("report: " + page + " (4 lines of payments)");
        Map<String, Object> data = pageData(page);
        assertThat(data.get("threshold").toString()).contains("1.0");
        assertThat((List<?>) data.get("lines")).extracting(Object::toString).containsExactly(
                "[INFO started, 0.7, 1.7, 0, 1, 0.7]", "[INFO ready </script>, 1.1, 2.1, 1, 2, 1.1]",
                "[ERROR upstream timed out, 6.5, 7.5, 1, 3, 6.5]", "[, null, null, 0, 4, null]");
        assertThat(CliRun.run("", "consume", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", enrichments, "--doc-id", "payments")
                .err()).contains("go with --html");
    }

    /** The data a report page carries (its JSON script element). */
    private static Map<String, Object> pageData(java.nio.file.Path page) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<script type=\"application/json\" id=\"data\">(.*?)</script>",
                java.util.regex.Pattern.DOTALL).matcher(java.nio.file.Files.readString(page));
        assertThat(m.find()).isTrue();
        return Json.parseObject(m.group(1).replace("<\\/", "</"));
    }

    /** A RECORD enrichment of one line ({@code line} also its record's offset; mean null: no score; max = mean + 1). */
    private static io.spikestream.avro.Enrichment withLine(String docId, long line, String text, Double mean,
                                                           List<io.spikestream.avro.SegmentSurprisal> segments) {
        return io.spikestream.avro.Enrichment.newBuilder().setDocId(docId).setSeq(null).setQueryId(null)
                .setKind(io.spikestream.avro.EnrichmentKind.RECORD).setTokenStart(0).setTokenEnd(5).setMeanSurprisal(1.0)
                .setMaxSurprisal(2.0).setPerplexity(2.7).setSpans(List.of()).setEmbedding(null).setAnswer(null).setLabelScores(null)
                .setStateBytes(1).setStateBytesWritten(1).setModelFingerprint("f").setProcessedAtMs(1).setError(null).setSpikes(null)
                .setSourceTopic("lines").setPartition(0).setOffset(line).setRecordKey(docId)
                .setLines(List.of(io.spikestream.avro.LineSurprisal.newBuilder().setLine(line).setCharStart(0).setCharEnd(text.length())
                        .setTokenStart(0).setTokenEnd(5).setMeanSurprisal(mean).setMaxSurprisal(mean == null ? null : mean + 1).setText(text).build()))
                .setSegments(segments)
                .build();
    }

    /** A new topic holding {@code records}, keyed by document. */
    private static String topicWith(List<io.spikestream.avro.Enrichment> records) throws Exception {
        String topic = KafkaBrokerExtension.uniqueTopic("enrichments");
        KAFKA.createTopics(1, topic);
        java.util.Properties p = new java.util.Properties();
        p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(p,
                new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (io.spikestream.avro.Enrichment e : records) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, e.getDocId().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        io.spikestream.records.AvroCodec.enrichment().encode(e))).get();
            }
        }
        return topic;
    }
}
