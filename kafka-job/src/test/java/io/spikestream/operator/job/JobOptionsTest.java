package io.spikestream.operator.job;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsAreTheDocumentedTopicsAndLeaveClusterSettingsAlone() {
        JobOptions o = JobOptions.parse("--bootstrap-servers", "b:9092", "--model", "m");
        assertThat(o.documentsTopic()).isEqualTo("documents");
        assertThat(o.queriesTopic()).isEqualTo("queries");
        assertThat(o.enrichmentsTopic()).isEqualTo("enrichments");
        assertThat(o.rejectedTopic()).isEqualTo("rejected");
        assertThat(o.checkpointInterval()).isEqualTo(Duration.ofSeconds(10));
        Configuration c = SpikeStreamJob.configuration(o);
        assertThat(c.toMap()).doesNotContainKeys("execution.checkpointing.dir", "parallelism.default", "execution.state-recovery.path")
                .containsEntry("state.backend.type", "rocksdb")
                .containsEntry("execution.checkpointing.mode", "EXACTLY_ONCE")
                .containsEntry("execution.checkpointing.incremental", "true")
                .containsEntry("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    }

    @Test
    void maxDocumentTokensIsAutoByDefaultAndTakesANumberOrOff() {
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m").operator().maxDocumentTokens())
                .isEqualTo(io.spikestream.operator.DocumentTokenLimit.AUTO);
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--max-document-tokens", "200000").operator()
                .maxDocumentTokens().tokens()).isEqualTo(200_000L);
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--max-document-tokens", "off").operator().maxDocumentTokens())
                .isEqualTo(io.spikestream.operator.DocumentTokenLimit.OFF);
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--max-document-tokens", "lots"))
                .hasMessageContaining("--max-document-tokens must be a positive number, auto or off, got 'lots'");
    }

    @Test
    void incidentsFromTheirTwoOptions() {
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m").incidents()).isEqualTo(io.spikestream.operator.Incidents.DEFAULT);
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--incident-gap", "2", "--incident-timeout", "30s").incidents())
                .isEqualTo(new io.spikestream.operator.Incidents(2, Duration.ofSeconds(30)));
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--incident-gap", "-1").incidents().perLine()).isTrue();
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--incident-gap", "-2"))
                .hasMessageContaining("incident gap");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--incident-timeout", "0s"))
                .hasMessageContaining("incident timeout");
    }

    @Test
    void bundlesFromTheirThreeOptions() {
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m").bundles())
                .isEqualTo(new io.spikestream.operator.Bundles(10_000, Duration.ofMillis(500), 2_000_000));
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--bundle-size", "64", "--bundle-time", "2s",
                "--bundle-chars", "5000").bundles()).isEqualTo(new io.spikestream.operator.Bundles(64, Duration.ofSeconds(2), 5000));
        assertThat(JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--bundle-size", "1").bundles().size()).isEqualTo(1);
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--bundle-chars", "0"))
                .hasMessageContaining("--bundle-chars must be at least 1");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--bundle-chars", "many"))
                .hasMessageContaining("--bundle-chars must be an integer");
    }

    @Test
    void durationsAndDirectories() {
        JobOptions o = JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--checkpoint-interval", "500ms", "--state-ttl", "2d",
                "--end-grace", "5m", "--gap-timeout", "90", "--checkpoint-dir", "s3://bucket/cp", "--parallelism=3");
        assertThat(o.checkpointInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(o.operator().stateTtl()).isEqualTo(Duration.ofDays(2));
        assertThat(o.operator().endGrace()).isEqualTo(Duration.ofMinutes(5));
        assertThat(o.operator().gapTimeout()).isEqualTo(Duration.ofMillis(90));
        Configuration c = SpikeStreamJob.configuration(o);
        assertThat(c.toMap()).containsEntry("execution.checkpointing.dir", "s3://bucket/cp").containsEntry("parallelism.default", "3");
        assertThat(SpikeStreamJob.checkpointUri("cp")).isEqualTo(Path.of("cp").toAbsolutePath().toUri().toString());
    }

    @Test
    void kafkaClientSettingsComeFromTheCommandConfigFileAndProperties() throws Exception {
        Path file = Files.writeString(tmp.resolve("client.properties"), "bootstrap.servers=kafka:9093\nsecurity.protocol=SASL_SSL\n"
                + "sasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"k\" password=\"v3ry-s3cret\";\n");
        JobOptions o = JobOptions.parse("--command-config", file.toString(), "--command-property", "client.dns.lookup=use_all_dns_ips",
                "--command-property", "sasl.mechanism=SCRAM-SHA-256", "--model", "m");
        assertThat(o.bootstrapServers()).isEqualTo("kafka:9093");
        assertThat(o.kafka().settings()).containsEntry("client.dns.lookup", "use_all_dns_ips").containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry("sasl.jaas.config", "${spikestream:" + file.toAbsolutePath() + ":sasl.jaas.config}");
        assertThat(o.toString()).doesNotContain("v3ry-s3cret");
        assertThat(JobOptions.parse("--command-config", file.toString(), "--bootstrap-servers", "other:9092", "--model", "m").bootstrapServers())
                .isEqualTo("other:9092");
        assertThatThrownBy(() -> JobOptions.parse("--command-config", file.toString(), "--command-property", "isolation.level=read_uncommitted",
                "--model", "m")).hasMessageStartingWith("isolation.level cannot be set");
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> JobOptions.parse("--model", "m")).hasMessageContaining("--bootstrap-servers is required");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--checkpoint-intervall", "1s"))
                .hasMessageContaining("unknown option --checkpoint-intervall");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--state-ttl", "soon"))
                .hasMessageContaining("--state-ttl must be a duration");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--resume", "latest"))
                .hasMessageContaining("--resume latest needs --checkpoint-dir");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--checkpoint-interval", "1ms"))
                .hasMessageContaining("at least 10ms");
    }

    @Test
    void resumeLatestPicksTheNewestCompleteCheckpoint() throws Exception {
        Path dir = tmp.resolve("cp");
        Files.createDirectories(dir.resolve("job-a/chk-3"));
        Files.writeString(dir.resolve("job-a/chk-3/_metadata"), "x");
        Files.createDirectories(dir.resolve("job-a/chk-4")); // in progress: no _metadata yet
        Files.createDirectories(dir.resolve("job-b/chk-9"));
        Files.writeString(dir.resolve("job-b/chk-9/_metadata"), "x");
        Files.setLastModifiedTime(dir.resolve("job-a/chk-3/_metadata"), java.nio.file.attribute.FileTime.fromMillis(1_000));
        Files.setLastModifiedTime(dir.resolve("job-b/chk-9/_metadata"), java.nio.file.attribute.FileTime.fromMillis(2_000));
        JobOptions o = JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--checkpoint-dir", dir.toString(), "--resume", "latest");
        assertThat(SpikeStreamJob.configuration(o).toMap().get("execution.state-recovery.path"))
                .isEqualTo(dir.resolve("job-b/chk-9").toAbsolutePath().toUri().toString());
        JobOptions none = JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--checkpoint-dir", tmp.resolve("empty").toString(),
                "--resume", "latest");
        assertThat(SpikeStreamJob.configuration(none).toMap()).doesNotContainKey("execution.state-recovery.path");
    }

    @Test
    void inputFormatsAndAlertThresholds() throws Exception {
        JobOptions avro = JobOptions.parse("--bootstrap-servers", "b", "--model", tmp.toString());
        assertThat(avro.input().format()).isEqualTo(io.spikestream.connectors.kafka.InputFormat.AVRO);
        assertThat(avro.alertsTopic()).isEqualTo("alerts");
        assertThat(SpikeStreamJob.alerting(avro)).as("a model without calibration.json: no alerts").isFalse();
        JobOptions json = JobOptions.parse("--bootstrap-servers", "b", "--model", tmp.toString(), "--input-format", "json", "--key-field", "service");
        assertThat(json.textField()).as("default text field").isEqualTo("message");
        assertThat(json.keyField()).isEqualTo("service");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--text-field", "msg"))
                .hasMessageContaining("apply to --input-format json");
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", "m", "--input-format", "csv"))
                .hasMessageContaining("avro, text or json");
        // p99.9 without a calibration fails before the job starts (when the options are read), naming what is missing
        assertThatThrownBy(() -> JobOptions.parse("--bootstrap-servers", "b", "--model", tmp.toString(), "--alert-threshold", "p99.9"))
                .hasMessageContaining("calibration.json");
        Files.writeString(tmp.resolve("calibration.json"), "{\"lines\": 10, \"quantiles\": {\"p99.9\": 3.25}}");
        // the threshold is resolved once, when the options are read: with the calibration there now, p99.9 by default
        JobOptions calibrated = JobOptions.parse("--bootstrap-servers", "b", "--model", tmp.toString());
        assertThat(SpikeStreamJob.alertThreshold(calibrated)).map(io.spikestream.engine.scoring.AlertThreshold::value).contains(3.25);
        assertThat(SpikeStreamJob.alerting(JobOptions.parse("--bootstrap-servers", "b", "--model", tmp.toString(), "--alert-threshold", "off")))
                .isFalse();
        // a model directory only the TaskManagers see: resolved there, alerts on unless off
        assertThat(SpikeStreamJob.alerting(JobOptions.parse("--bootstrap-servers", "b", "--model", "/nowhere/model"))).isTrue();
    }
}
