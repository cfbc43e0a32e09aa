package io.spikestream.cli.cluster;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.broker.CertificateAuthority;
import io.spikestream.cli.CliRun;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.BrokenModels;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import io.spikestream.trainer.corpus.LogGenerator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import io.spikestream.connectors.kafka.access.JobAcls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands against a secured Kafka that SpikeStream did not start: a broker process configured and formatted
 * with Kafka's own tools (SASL_SSL with SCRAM-SHA-512, mutual TLS, nothing allowed without an ACL). With
 * {@code --command-config}, {@code produce} publishes, {@code job} runs — in this JVM and on a standalone cluster
 * of its own processes, which read the file where they run — and {@code consume} prints; both jobs give the same
 * output. Wrong passwords, unknown users, missing ACLs, a plaintext client on the TLS port and an untrusted
 * certificate stop each command within seconds, saying why; settings SpikeStream owns are refused. No password
 * reaches any output, log, or what the cluster's REST API (its web UI) shows.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredKafkaProcessITCase {
    static final String ALICE = CertificateAuthority.randomPassword();
    static final String BOB = CertificateAuthority.randomPassword();

    @TempDir
    static Path tmp;

    static SecuredKafkaProcess kafka;
    static LocalCluster cluster;
    static String rest;
    static Path alice;
    static Path log;
    static final List<CliRun> runs = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        kafka = new SecuredKafkaProcess(Files.createDirectories(tmp.resolve("kafka")));
        kafka.start(Map.of("alice", ALICE, "bob", BOB));
        try (Admin admin = Admin.create(props(kafka.admin()))) {
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic("docs", 2, (short) 1)));
            for (String t : List.of("queries", "out-local", "out-local-rejected", "out-cluster", "out-cluster-rejected")) {
                topics.add(new NewTopic(t, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
            List<AclBinding> acls = new ArrayList<>();
            acls.add(JobAcls.allow("User:alice", ResourceType.TOPIC, "docs", PatternType.LITERAL, AclOperation.WRITE));
            acls.add(JobAcls.allow("User:alice", ResourceType.TOPIC, "out-", PatternType.PREFIXED, AclOperation.READ));
            for (String out : List.of("out-local", "out-cluster")) {
                acls.addAll(SpikeStreamJob.acls(JobOptions.parse(jobOptions(out, "--bootstrap-servers", kafka.saslBootstrap())), "User:alice"));
            }
            admin.createAcls(acls).all().get();
        }
        alice = clientFile("alice", kafka.scram("alice", ALICE));
        log = tmp.resolve("app.log");
        Files.writeString(log, String.join("\n", new LogGenerator(7).lines(60)) + "\n");
        int restPort = freePort();
        // Kafka's clients log their settings at INFO: the logs then show what a leak would look like
        cluster = new LocalCluster(tmp.resolve("cluster"), FlinkHome.locate()).kafkaLogLevel("INFO");
        cluster.start(1, 2, restPort, "768m", "1280m", Duration.ofSeconds(120));
        rest = "localhost:" + restPort;
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (cluster != null) {
                cluster.stop();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    @Order(1)
    void produceJobAndConsumeWorkOverSaslSslWithTheCommandConfigFile() throws Exception {
        CliRun produced = run("produce", "--command-config", alice.toString(), "--topic", "docs", "--doc-id", "app", "--chunk-bytes", "1024",
                log.toString());
        assertThat(produced.exitCode()).as(produced.err()).isZero();
        CliRun job = run(jobArgs("out-local", "--command-config", alice.toString(), "--checkpoint-dir", tmp.resolve("checkpoints").toString()));
        assertThat(job.exitCode()).as(job.err()).isZero();
        assertThat(job.err()).contains("Kafka " + kafka.saslBootstrap() + " over SASL_SSL SCRAM-SHA-512 (" + alice + ")");
        CliRun consumed = run("consume", "--command-config", alice.toString(), "--topic", "out-local", "--json", "--from-beginning",
                "--timeout-ms", "4000");
        assertThat(consumed.exitCode()).as(consumed.err()).isZero();
        List<Map<String, Object>> records = consumed.out().lines().map(Json::parseObject).toList();
        int chunks = (int) Math.ceil(Files.size(log) / 1024.0);
        assertThat(records).hasSizeGreaterThanOrEqualTo(chunks + 1);
        assertThat(records).extracting(r -> r.get("docId")).containsOnly("app");
        assertThat(records.get(records.size() - 1)).containsEntry("kind", "END");
        assertThat(records.subList(0, records.size() - 1)).extracting(r -> r.get("kind")).containsOnly("CHUNK");
    }

    @Test
    @Order(2)
    void theJobOnAClusterReadsTheFileWhereItRunsAndItsRestApiShowsNoSecret() throws Exception {
        CliRun submitted = run(jobArgs("out-cluster", "--cluster", rest, "--command-config", alice.toString()));
        assertThat(submitted.exitCode()).as(submitted.err()).isZero();
        String id = submitted.out().strip();
        assertThat(id).matches("[0-9a-f]{32}");
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        String state;
        while (!(state = (String) Json.parseObject(cluster.get("/jobs/" + id)).get("state")).equals("FINISHED")) {
            assertThat(state).isNotIn("FAILED", "CANCELED");
            assertThat(System.nanoTime()).as("job still " + state).isLessThan(deadline);
            Thread.sleep(300);
        }
        Map<String, List<Enrichment>> cluster = output("out-cluster");
        assertThat(cluster).isEqualTo(output("out-local")).containsOnlyKeys("app");
        StringBuilder shown = new StringBuilder();
        for (String path : List.of("/jobs/" + id, "/jobs/" + id + "/config", "/jobs/" + id + "/plan", "/jobs/" + id + "/exceptions",
                "/jobmanager/config", "/taskmanagers")) {
            shown.append(SecuredKafkaProcessITCase.cluster.get(path)).append('\n');
        }
        assertThat(shown).as("the REST API answered").contains(id);
        assertThat(shown.toString()).doesNotContain(ALICE);
    }

    @Test
    @Order(3)
    void refusalsStopEveryCommandWithinSecondsSayingWhy() throws Exception {
        Path wrong = clientFile("alice-wrong", kafka.scram("alice", "not-" + ALICE));
        for (String[] command : List.of(
                new String[] {"produce", "--topic", "docs", "--doc-id", "x", log.toString()},
                new String[] {"consume", "--topic", "out-local", "--timeout-ms", "2000"},
                jobArgs("out-local", "--checkpoint-dir", tmp.resolve("cp-wrong").toString()),
                jobArgs("out-cluster", "--cluster", rest))) {
            assertRefused(wrong, "Kafka refused authentication", command);
        }
        assertRefused(clientFile("mallory", kafka.scram("mallory", ALICE)), "Kafka refused authentication",
                "produce", "--topic", "docs", "--doc-id", "x", log.toString());
        Path bob = clientFile("bob", kafka.scram("bob", BOB)); // a user without ACLs
        assertRefused(bob, "WRITE on topic 'docs' is not allowed", "produce", "--topic", "docs", "--doc-id", "x", log.toString());
        assertRefused(bob, "READ on topic 'out-local' is not allowed", "consume", "--topic", "out-local", "--timeout-ms", "2000");
        assertRefused(bob, "Kafka refused authorization", jobArgs("out-local", "--checkpoint-dir", tmp.resolve("cp-bob").toString()));
        Path plaintext = clientFile("plaintext", Map.of("bootstrap.servers", kafka.saslBootstrap()));
        assertRefused(plaintext, "speaks TLS, but security.protocol is PLAINTEXT", "produce", "--topic", "docs", "--doc-id", "x", log.toString());
        Map<String, String> untrusted = new LinkedHashMap<>(kafka.scram("alice", ALICE));
        untrusted.put("ssl.truststore.location", CertificateAuthority.createOrLoad(tmp.resolve("other-ca"), "another CA").trustStore().toString());
        assertRefused(clientFile("untrusted", untrusted), "the broker's certificate is not trusted", "consume", "--topic", "out-local",
                "--timeout-ms", "2000");
    }

    @Test
    @Order(4)
    void settingsSpikeStreamOwnsAndSecretsOnTheJobsCommandLineAreRefused() throws Exception {
        CliRun consume = run("consume", "--command-config", alice.toString(), "--command-property", "isolation.level=read_uncommitted",
                "--topic", "out-local", "--timeout-ms", "1000");
        assertThat(consume.exitCode()).isEqualTo(1);
        assertThat(consume.err()).contains("isolation.level cannot be set").contains("read_committed");
        CliRun job = run(jobArgs("out-local", "--command-config", alice.toString(), "--command-property", "acks=1"));
        assertThat(job.exitCode()).isEqualTo(1);
        assertThat(job.err()).contains("acks cannot be set");
        CliRun secret = run(jobArgs("out-local", "--command-config", alice.toString(), "--command-property",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"" + ALICE + "\";"));
        assertThat(secret.exitCode()).isEqualTo(1);
        assertThat(secret.err()).contains("--command-property sasl.jaas.config is a secret: put it in the --command-config file");
        CliRun acls = run(jobArgs("out-local", "--command-config", alice.toString(), "--print-acls", "User:alice"));
        assertThat(acls.exitCode()).as(acls.err()).isZero();
        assertThat(acls.out()).contains("--allow-principal User:alice --operation Read --topic 'docs'")
                .contains("--operation Write --topic 'out-local'").contains("--operation Read --group 'out-local-documents'")
                .contains("--operation Write --transactional-id 'out-local-' --resource-pattern-type prefixed");
    }

    @Test
    @Order(5)
    void noPasswordReachesAnyOutputOrLog() throws Exception {
        List<String> secrets = new ArrayList<>(List.of(ALICE, BOB));
        try (Stream<Path> files = Files.list(tmp.resolve("kafka").resolve("tls"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".password")).toList()) {
                secrets.add(Files.readString(f).strip());
            }
        }
        StringBuilder everything = new StringBuilder();
        runs.forEach(r -> everything.append(r.out()).append(r.err()));
        try (Stream<Path> logs = Files.list(tmp.resolve("cluster").resolve("log"))) {
            for (Path f : logs.toList()) {
                everything.append(Files.readString(f));
            }
        }
        assertThat(everything).as("the cluster logged the Kafka clients' settings").contains("sasl.jaas.config = [hidden]");
        for (String secret : secrets) {
            assertThat(everything.toString()).doesNotContain(secret);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** {@code job} and its options, writing to {@code out}. */
    static String[] jobArgs(String out, String... more) {
        List<String> a = new ArrayList<>(List.of("job"));
        a.addAll(List.of(jobOptions(out, more)));
        return a.toArray(String[]::new);
    }

    static String[] jobOptions(String out, String... more) {
        List<String> a = new ArrayList<>(List.of(more));
        a.addAll(List.of("--model", BrokenModels.demoModel().toString(), "--documents-topic", "docs", "--queries-topic", "queries",
                "--enrichments-topic", out, "--rejected-topic", out + "-rejected", "--alert-threshold", "off", "--bounded",
                "--checkpoint-interval", "500ms", "--transactional-id-prefix", out, "--group-id", out, "--engine-threads", "1",
                "--parallelism", "1"));
        return a.toArray(String[]::new);
    }

    static CliRun run(String... args) {
        CliRun r = CliRun.run("", args);
        runs.add(r);
        return r;
    }

    static void assertRefused(Path client, String reason, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(1, List.of("--command-config", client.toString()));
        long started = System.nanoTime();
        CliRun r = run(args.toArray(String[]::new));
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("SecuredKafkaProcessITCase: %s %s refused after %.1f s: %s%n", command[0], command.length > 1 && command[1].equals("--cluster")
                ? "--cluster" : "", seconds, r.err().strip());
        assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.err()).contains(reason);
        assertThat(seconds).as("seconds until " + command[0] + " stopped").isLessThan(20);
    }

    static Path clientFile(String name, Map<String, String> settings) throws Exception {
        Path file = tmp.resolve(name + ".properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            props(settings).store(w, null);
        }
        return file;
    }

    static Map<String, List<Enrichment>> output(String topic) throws Exception {
        Map<String, List<Enrichment>> byDoc = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaBrokerExtension.readCommitted(props(kafka.admin()), topic)) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            byDoc.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        byDoc.values().forEach(l -> assertThat(l.get(l.size() - 1).getKind()).isEqualTo(EnrichmentKind.END));
        return byDoc;
    }

    static Properties props(Map<String, String> m) {
        Properties p = new Properties();
        p.putAll(m);
        return p;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
