package io.spikestream.cli;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.TestData;
import io.spikestream.records.AvroCodec;
import io.spikestream.trainer.corpus.LogGenerator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code ./spikestream job} shows while it runs: status lines on stderr and, for a bounded job, its summary
 * as the last line of stdout — counts that equal what it committed — and Flink's web UI at the URL it prints.
 */
class JobProgressITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final Path MODEL = TestData.repositoryRoot().resolve("models").resolve("demo-logs");
    static final Pattern STATUS = Pattern.compile("spikestream job: [0-9:]+ \\| ([0-9,]+) records, ([0-9,]+) tokens, [0-9,]+ tokens/s \\| "
            + "([0-9,]+) alerts, ([0-9,]+) rejected \\| ([0-9,]+) documents open \\| (no checkpoint yet|checkpoint \\d+ in [0-9,]+ ms.*?) \\| lag .*");

    @TempDir
    Path tmp;

    /** 160 log lines from 6 clients over 2 partitions, and one line too long to be accepted. */
    private static String produce() throws Exception {
        String input = KafkaBrokerExtension.uniqueTopic("logs");
        KAFKA.createTopics(2, input);
        List<String> lines = new LogGenerator(3).lines(160).subList(0, 160);
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < lines.size(); i++) {
                String value = i == 77 ? lines.get(i).repeat(20) : lines.get(i);
                producer.send(new ProducerRecord<>(input, ("client-" + i % 6).getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        return input;
    }

    private static List<String> jobArgs(String input, Path checkpoints, String... more) {
        List<String> a = new ArrayList<>(List.of("job", "--bootstrap-servers", KAFKA.bootstrapServers(), "--model", MODEL.toString(),
                "--input-format", "text", "--documents-topic", input, "--queries-topic", input + "-queries",
                "--enrichments-topic", input + "-enrichments", "--rejected-topic", input + "-rejected", "--alerts-topic", input + "-alerts",
                "--alert-threshold", "2.5", "--max-chunk-chars", "1000", "--parallelism", "2", "--engine-threads", "1",
                "--checkpoint-interval", "300ms", "--checkpoint-dir", checkpoints.toString(), "--group-id", "g-" + input,
                "--transactional-id-prefix", "t-" + input, "--create-topics", "1"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void aBoundedJobShowsItsProgressAndEndsWithASummaryThatCountsItsOutput() throws Exception {
        String input = produce();
        CliRun r = CliRun.run("", jobArgs(input, tmp.resolve("checkpoints"), "--bounded", "--progress-interval", "200ms", "--web-port", "0")
                .toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();

        long records = 0;
        long tokens = 0;
        for (ConsumerRecord<byte[], byte[]> c : KAFKA.readCommitted(input + "-enrichments")) {
            Enrichment e = AvroCodec.enrichment().decode(c.value());
            assertThat(e.getKind()).isEqualTo(EnrichmentKind.RECORD);
            records++;
            tokens += e.getTokenEnd() - e.getTokenStart();
        }
        long alerts = KAFKA.readCommitted(input + "-alerts").size();
        long rejected = KAFKA.readCommitted(input + "-rejected").size();
        assertThat(records).isEqualTo(159);
        assertThat(rejected).isEqualTo(1);
        assertThat(alerts).as("some lines alert").isPositive();

        List<String> out = r.out().lines().toList();
        Map<String, Object> summary = Json.parseObject(out.get(out.size() - 1));
        assertThat(summary).containsOnlyKeys("records", "tokens", "tokens_per_second", "alerts", "rejected", "seconds");
        assertThat(number(summary, "records")).isEqualTo(records);
        assertThat(number(summary, "tokens")).isEqualTo(tokens);
        assertThat(number(summary, "alerts")).isEqualTo(alerts);
        assertThat(number(summary, "rejected")).isEqualTo(rejected);
        double seconds = ((Number) summary.get("seconds")).doubleValue();
        assertThat(seconds).isPositive();
        assertThat(((Number) summary.get("tokens_per_second")).doubleValue()).isCloseTo(tokens / seconds, org.assertj.core.data.Offset.offset(0.1));

        List<Matcher> status = r.err().lines().map(STATUS::matcher).filter(Matcher::matches).toList();
        assertThat(status).as(r.err()).hasSizeGreaterThanOrEqualTo(2);
        Matcher last = status.get(status.size() - 1);
        assertThat(count(last, 1)).as("records").isEqualTo(records);
        assertThat(count(last, 2)).as("tokens").isEqualTo(tokens);
        assertThat(count(last, 3)).as("alerts").isEqualTo(alerts);
        assertThat(count(last, 4)).as("rejected").isEqualTo(rejected);
        assertThat(count(last, 5)).as("documents open: one per client").isEqualTo(6);
        assertThat(last.group(6)).as("checkpoints completed").startsWith("checkpoint ");
        for (Matcher m : status) {
            assertThat(count(m, 1)).isLessThanOrEqualTo(records);
        }
        assertThat(r.err()).doesNotContain("web UI at"); // --web-port 0: not shown
    }

    @Test
    void aLocalJobServesFlinksWebUiAtTheUrlItPrints() throws Exception {
        String input = produce();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = tmp.resolve("job.log");
        Process job = start(jobArgs(input, tmp.resolve("checkpoints"), "--web-port", Integer.toString(port)), log);
        try {
            String url = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (url == null && System.nanoTime() < deadline && job.isAlive()) {
                Matcher m = Pattern.compile("Flink web UI at (http://\\S+)").matcher(Files.readString(log));
                url = m.find() ? m.group(1) : null;
                Thread.sleep(100);
            }
            assertThat(url).as(Files.readString(log)).isNotNull().endsWith(":" + port);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Apache Flink Web Dashboard");
            String jobs = "";
            while (!jobs.contains("\"RUNNING\"") && System.nanoTime() < deadline) {
                jobs = http.send(HttpRequest.newBuilder(URI.create(url + "/jobs/overview")).build(), HttpResponse.BodyHandlers.ofString()).body();
                Thread.sleep(100);
            }
            assertThat(jobs).contains("\"name\":\"spikestream\"").contains("\"RUNNING\"");
        } finally {
            job.destroy();
            assertThat(job.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static long number(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).longValue();
    }

    private static long count(Matcher m, int group) {
        return Long.parseLong(m.group(group).replace(",", ""));
    }

    private static Process start(List<String> args, Path log) throws Exception {
        return CliRun.start(args, log);
    }
}
