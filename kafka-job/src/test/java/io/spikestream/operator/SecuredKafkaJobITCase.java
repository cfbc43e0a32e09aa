package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.broker.BrokerSecurity;
import io.spikestream.broker.CertificateAuthority;
import io.spikestream.broker.EmbeddedKafka;
import io.spikestream.records.AvroCodec;
import io.spikestream.connectors.kafka.access.KafkaRefusal;
import io.spikestream.connectors.producer.TextChunker;
import io.spikestream.connectors.testing.CapturedLogs;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The exactly-once job against a broker secured as production clusters are — SASL_SSL with SCRAM-SHA-512,
 * mutual TLS, and an authorizer that allows nothing without an ACL — with its client settings given as a
 * {@code --command-config} file: Avro chunks and plain-text records give, record for record, what the same job
 * gives on a plaintext broker, with exactly the ACLs {@link SpikeStreamJob#acls} lists. Wrong password, unknown
 * user, a missing ACL on the output topic or on the transactional ids, an untrusted certificate: the job ends
 * once, within 60 s, with the reason (and the check before start says the same). No password of the test is
 * logged, printed or put into the job graph.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredKafkaJobITCase {
    @RegisterExtension
    static final KafkaBrokerExtension PLAIN = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(3).build());

    static final String AVRO_INPUT = "secured-chunks";
    static final String TEXT_INPUT = "secured-lines";
    static final Map<String, String> DOCUMENTS = Map.of(
            "log-a", TestModel.CORPUS.repeat(3),
            "contract-b", "WHEREAS the Licensor wishes to grant a licence; Either Party may terminate upon notice. ".repeat(6));
    static final String JOB_PASSWORD = CertificateAuthority.randomPassword();
    static final String OTHER_PASSWORD = CertificateAuthority.randomPassword();

    static CapturedLogs logs;
    static Path dir;
    static CertificateAuthority ca;
    static EmbeddedKafka kafka;
    static final List<String> failureMessages = new ArrayList<>();
    static final List<byte[]> jobGraphs = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        logs = CapturedLogs.start();
        dir = Files.createTempDirectory("secured-kafka-it");
        ca = CertificateAuthority.createOrLoad(dir.resolve("tls"), "test CA");
        kafka = EmbeddedKafka.builder().security(BrokerSecurity.with(ca).scramUser("job", JOB_PASSWORD).scramUser("noout", OTHER_PASSWORD)
                .scramUser("notxn", OTHER_PASSWORD)).start();
        try (Admin admin = Admin.create(props(kafka.superUserClient()))) {
            admin.createTopics(List.of(new NewTopic(AVRO_INPUT, 2, (short) 1), new NewTopic(TEXT_INPUT, 2, (short) 1))).all().get();
        }
        PLAIN.createTopics(2, AVRO_INPUT, TEXT_INPUT);
        // the same records, keys and partitions on both brokers
        for (Map<String, String> client : List.of(kafka.superUserClient(), Map.of("bootstrap.servers", PLAIN.bootstrapServers()))) {
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props(client), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (DocumentChunk c : chunks()) {
                    p.send(new ProducerRecord<>(AVRO_INPUT, bytes(c.getDocId()), AvroCodec.documentChunk().encode(c))).get();
                }
                p.send(new ProducerRecord<>(AVRO_INPUT, bytes("broken"), new byte[] {1, 2, 3})).get();
                List<String> lines = TestModel.CORPUS.lines().toList();
                for (int i = 0; i < 24; i++) {
                    String key = List.of("auth", "payments", "orders").get(i % 3);
                    p.send(new ProducerRecord<>(TEXT_INPUT, bytes(key), bytes(lines.get(i % lines.size()) + " #" + i))).get();
                }
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    // ------------------------------------------------------------------ the job works, as on a plaintext broker

    @Test
    @Order(1)
    void avroChunksOverScramEqualThePlaintextRun() throws Exception {
        Path client = clientFile("job-scram", scram("job", JOB_PASSWORD));
        assertThat(securedRun(client, "job", "avro")).isEqualTo(plainRun("avro"));
    }

    @Test
    @Order(2)
    void textRecordsOverScramEqualThePlaintextRun() throws Exception {
        Path client = clientFile("job-scram-text", scram("job", JOB_PASSWORD));
        Output secured = securedRun(client, "job", "text");
        assertThat(secured.alerts()).as("alerts are written too").isNotEmpty();
        assertThat(secured).isEqualTo(plainRun("text"));
    }

    @Test
    @Order(3)
    void avroChunksAndTextRecordsOverMutualTlsEqualThePlaintextRun() throws Exception {
        Map<String, String> tls = new LinkedHashMap<>(kafka.security().mutualTlsClient("jobtls"));
        tls.put("bootstrap.servers", kafka.mutualTlsBootstrapServers());
        Path client = clientFile("job-mtls", tls);
        assertThat(securedRun(client, "jobtls", "avro")).isEqualTo(plainRun("avro"));
        assertThat(securedRun(client, "jobtls", "text")).isEqualTo(plainRun("text"));
    }

    // ------------------------------------------------------------------ refusals end the job once, with the reason

    @Test
    @Order(4)
    void aWrongPasswordAndAnUnknownUserEndTheJobWithAuthentication(@InjectMiniCluster MiniCluster cluster) throws Exception {
        for (Map<String, String> client : List.of(scram("job", "not-" + JOB_PASSWORD), scram("ghost", JOB_PASSWORD))) {
            JobOptions o = options(clientFile("bad-credentials", client), "avro", run("auth"));
            grant(SpikeStreamJob.acls(o, "User:job"));
            KafkaRefusal reason = refusal(cluster, o, KafkaRefusal.Kind.AUTHENTICATION);
            assertThat(reason).hasMessageContaining("Kafka refused authentication").hasMessageContaining("SCRAM-SHA-512");
        }
    }

    @Test
    @Order(5)
    void aMissingAclOnTheOutputTopicEndsTheJobWithAuthorizationNamingTheTopic(@InjectMiniCluster MiniCluster cluster) throws Exception {
        JobOptions o = options(clientFile("noout", scram("noout", OTHER_PASSWORD)), "avro", run("noout"));
        grant(without(SpikeStreamJob.acls(o, "User:noout"), b -> b.pattern().resourceType() == ResourceType.TOPIC
                && b.pattern().name().equals(o.enrichmentsTopic())));
        KafkaRefusal reason = refusal(cluster, o, KafkaRefusal.Kind.AUTHORIZATION);
        assertThat(reason).hasMessageContaining("Kafka refused authorization").hasMessageContaining("'" + o.enrichmentsTopic() + "'");
    }

    @Test
    @Order(6)
    void aMissingAclOnTheTransactionalIdsEndsTheJobWithAuthorizationNamingThem(@InjectMiniCluster MiniCluster cluster) throws Exception {
        JobOptions o = options(clientFile("notxn", scram("notxn", OTHER_PASSWORD)), "avro", run("notxn"));
        grant(without(SpikeStreamJob.acls(o, "User:notxn"), b -> b.pattern().resourceType() == ResourceType.TRANSACTIONAL_ID));
        KafkaRefusal reason = refusal(cluster, o, KafkaRefusal.Kind.AUTHORIZATION);
        assertThat(reason).hasMessageContaining("Kafka refused authorization").hasMessageContaining("transactional id");
        assertThat(reason.getMessage()).contains(o.transactionalIdPrefix() + "-");
    }

    @Test
    @Order(7)
    void anUntrustedCertificateEndsTheJobWithTls(@InjectMiniCluster MiniCluster cluster) throws Exception {
        CertificateAuthority other = CertificateAuthority.createOrLoad(dir.resolve("other-ca"), "someone else's CA");
        Map<String, String> client = scram("job", JOB_PASSWORD);
        client.put("ssl.truststore.location", other.trustStore().toString());
        JobOptions o = options(clientFile("untrusted", client), "avro", run("untrusted"));
        grant(SpikeStreamJob.acls(o, "User:job"));
        KafkaRefusal reason = refusal(cluster, o, KafkaRefusal.Kind.TLS);
        assertThat(reason).hasMessageContaining("TLS").hasMessageContaining("not trusted");
    }

    @Test
    @Order(8)
    void aPlaintextClientOnTheTlsPortIsToldSoBeforeTheJobStarts() throws Exception {
        JobOptions o = options(clientFile("plaintext", new LinkedHashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers()))), "avro",
                run("plaintext"));
        long started = System.nanoTime();
        assertThatThrownBy(() -> SpikeStreamJob.requireKafka(o)).isInstanceOf(KafkaRefusal.class)
                .hasMessageContaining("speaks TLS, but security.protocol is PLAINTEXT");
        assertThat((System.nanoTime() - started) / 1e9).as("seconds to tell").isLessThan(5);
    }

    // ------------------------------------------------------------------ no secret anywhere

    @Test
    @Order(9)
    void noPasswordIsLoggedPrintedOrPutIntoTheJobGraph() throws Exception {
        List<String> secrets = new ArrayList<>(List.of(JOB_PASSWORD, OTHER_PASSWORD));
        for (String store : List.of("broker", "jobtls")) {
            secrets.add(Files.readString(dir.resolve("tls").resolve(store + ".password")).strip());
        }
        String logged = logs.text();
        assertThat(logged).as("Kafka clients logged their configuration (the check sees INFO)").contains("sasl.jaas.config = [hidden]");
        assertThat(jobGraphs).isNotEmpty();
        for (String secret : secrets) {
            assertThat(logged).doesNotContain(secret);
            assertThat(String.join("\n", failureMessages)).doesNotContain(secret);
            for (byte[] graph : jobGraphs) {
                assertThat(indexOf(graph, bytes(secret))).as("a password in the serialized job graph").isEqualTo(-1);
                assertThat(indexOf(graph, bytes("${spikestream:"))).as("the secrets travel as references to the file").isGreaterThan(-1);
            }
        }
        JobOptions o = options(clientFile("printed", scram("job", JOB_PASSWORD)), "avro", run("printed"));
        assertThat(o.toString() + o.kafka() + o.kafka().summary()).doesNotContain(JOB_PASSWORD);
    }

    // ------------------------------------------------------------------ helpers

    /** Output without the wall-clock fields: enrichments and alerts per document in order, rejected records. */
    record Output(Map<String, List<Enrichment>> enrichments, Map<String, List<Alert>> alerts, List<Rejected> rejected) {
    }

    static int runs;

    static String run(String name) {
        return name + "-" + (++runs);
    }

    Output plainRun(String format) throws Exception {
        String name = run("plain-" + format);
        PLAIN.createTopics(1, name + "-out", name + "-alerts", name + "-rejected", name + "-queries");
        JobOptions o = JobOptions.parse(args(format, name, "--bootstrap-servers", PLAIN.bootstrapServers()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o);
        env.execute("plain");
        return output(Map.of("bootstrap.servers", PLAIN.bootstrapServers()), o);
    }

    Output securedRun(Path client, String user, String format) throws Exception {
        JobOptions o = options(client, format, run(user + "-" + format));
        grant(SpikeStreamJob.acls(o, "User:" + user));
        SpikeStreamJob.requireKafka(o); // the check before start passes with exactly these ACLs
        execute(o);
        return output(kafka.superUserClient(), o);
    }

    JobOptions options(Path client, String format, String name) throws Exception {
        try (Admin admin = Admin.create(props(kafka.superUserClient()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : List.of("-out", "-alerts", "-rejected", "-queries")) {
                topics.add(new NewTopic(name + t, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
        return JobOptions.parse(args(format, name, "--command-config", client.toString()));
    }

    static String[] args(String format, String name, String... kafkaArgs) {
        List<String> a = new ArrayList<>(List.of(kafkaArgs));
        a.addAll(List.of("--model", TestModel.dir().toString(), "--input-format", format,
                "--documents-topic", format.equals("avro") ? AVRO_INPUT : TEXT_INPUT, "--queries-topic", name + "-queries",
                "--enrichments-topic", name + "-out", "--rejected-topic", name + "-rejected", "--alerts-topic", name + "-alerts",
                "--alert-threshold", format.equals("avro") ? "off" : "3.0", "--parallelism", "2", "--checkpoint-interval", "300ms",
                "--checkpoint-dir", dir.resolve("checkpoints-" + name).toString(), "--group-id", "it-" + name,
                "--transactional-id-prefix", "it-" + name, "--page-size", "2", "--engine-threads", "1", "--bounded"));
        return a.toArray(String[]::new);
    }

    void execute(JobOptions o) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o);
        jobGraphs.add(serializedJobGraph(env));
        env.execute("secured");
    }

    static byte[] serializedJobGraph(StreamExecutionEnvironment env) throws Exception {
        JobGraph graph = env.getStreamGraph(false).getJobGraph();
        return InstantiationUtil.serializeObject(graph);
    }

    /** Runs the job without the check before start; returns why it ended, asserting it ended once, within 60 s. */
    KafkaRefusal refusal(MiniCluster cluster, JobOptions o, KafkaRefusal.Kind kind) throws Exception {
        long checkStarted = System.nanoTime();
        Throwable checked = org.assertj.core.api.Assertions.catchThrowable(() -> SpikeStreamJob.requireKafka(o));
        double checkSeconds = (System.nanoTime() - checkStarted) / 1e9;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o);
        jobGraphs.add(serializedJobGraph(env));
        long started = System.nanoTime();
        JobClient job = env.executeAsync("refused");
        ExecutionException failed = assertThrows(ExecutionException.class, () -> job.getJobExecutionResult().get(60, TimeUnit.SECONDS));
        double seconds = (System.nanoTime() - started) / 1e9;
        System.err.printf("%s: the job ended after %.1f s (the check before start: %.1f s)%n", kind, seconds, checkSeconds);
        assertThat(ExceptionUtils.findThrowable(failed, SuppressRestartsException.class)).as("not restarted").isPresent();
        assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.FAILED);
        assertThat(cluster.getArchivedExecutionGraph(job.getJobID()).get(10, TimeUnit.SECONDS).getStatusTimestamp(JobStatus.RESTARTING))
                .as("the job never restarted").isZero();
        Throwable reason = JobWatch.reason(failed);
        assertThat(reason).isInstanceOf(KafkaRefusal.class);
        KafkaRefusal refusal = (KafkaRefusal) reason;
        assertThat(refusal.kind()).isEqualTo(kind);
        failureMessages.add(refusal.getMessage());
        // the check before start finds the same, in seconds
        assertThat(checked).isInstanceOf(KafkaRefusal.class);
        assertThat(((KafkaRefusal) checked).kind()).isEqualTo(kind);
        assertThat(checkSeconds).isLessThan(20);
        failureMessages.add(checked.getMessage());
        return refusal;
    }

    static void grant(List<AclBinding> acls) throws Exception {
        try (Admin admin = Admin.create(props(kafka.superUserClient()))) {
            admin.createAcls(acls).all().get();
        }
    }

    static List<AclBinding> without(List<AclBinding> acls, Predicate<AclBinding> removed) {
        List<AclBinding> kept = acls.stream().filter(removed.negate()).toList();
        assertThat(kept).as("one ACL removed").hasSize(acls.size() - 1);
        return kept;
    }

    static Map<String, String> scram(String user, String password) {
        Map<String, String> c = new LinkedHashMap<>(kafka.security().saslClient("SCRAM-SHA-512", user, password));
        c.put("bootstrap.servers", kafka.bootstrapServers());
        return c;
    }

    static Path clientFile(String name, Map<String, String> settings) throws Exception {
        Path file = dir.resolve(name + "-" + UUID.randomUUID() + ".properties");
        Properties p = props(settings);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, null);
        }
        return file;
    }

    static Output output(Map<String, String> client, JobOptions o) throws Exception {
        Map<String, List<Enrichment>> enrichments = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(client, o.enrichmentsTopic())) {
            Enrichment e = AvroCodec.enrichment().decode(r.value());
            enrichments.computeIfAbsent(e.getDocId(), k -> new ArrayList<>()).add(Enrichment.newBuilder(e).setProcessedAtMs(0).setStateBytesWritten(0).build());
        }
        Map<String, List<Alert>> alerts = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(client, o.alertsTopic())) {
            Alert a = AvroCodec.alert().decode(r.value());
            alerts.computeIfAbsent(a.getDocId(), k -> new ArrayList<>()).add(Alert.newBuilder(a).setProcessedAtMs(0).build());
        }
        List<Rejected> rejected = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(client, o.rejectedTopic())) {
            rejected.add(Rejected.newBuilder(AvroCodec.rejected().decode(r.value())).setRejectedAtMs(0).build());
        }
        rejected.sort(Comparator.comparingLong(Rejected::getOffset));
        assertThat(enrichments).isNotEmpty();
        return new Output(enrichments, alerts, rejected);
    }

    static List<ConsumerRecord<byte[], byte[]>> readCommitted(Map<String, String> client, String topic) {
        return KafkaBrokerExtension.readCommitted(props(client), topic);
    }

    static List<DocumentChunk> chunks() {
        List<DocumentChunk> out = new ArrayList<>();
        for (Map.Entry<String, String> d : new TreeMap<>(DOCUMENTS).entrySet()) {
            List<String> texts = new ArrayList<>();
            new TextChunker(80).chunks(d.getValue()).forEachRemaining(texts::add);
            for (int i = 0; i < texts.size(); i++) {
                out.add(DocumentChunk.newBuilder().setDocId(d.getKey()).setSeq(i).setText(texts.get(i)).setAttributes(Map.of())
                        .setLast(i == texts.size() - 1).setEventTime(Instant.ofEpochMilli(i)).build());
            }
        }
        return out;
    }

    static Properties props(Map<String, String> m) {
        Properties p = new Properties();
        p.putAll(m);
        return p;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Where {@code needle} starts in {@code haystack} (ISO-8859-1 maps each byte to one char), or -1. */
    static int indexOf(byte[] haystack, byte[] needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).indexOf(new String(needle, StandardCharsets.ISO_8859_1));
    }
}
