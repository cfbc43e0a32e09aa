package io.spikestream.operator;

import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.UnusableModelException;
import io.spikestream.engine.testing.BrokenModels;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A TaskManager that cannot load the model (the client did not see the directory, so only the TaskManager can
 * tell): the job fails at once with the reason, instead of restarting forever.
 */
class ModelLoadFailureITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path tmp;

    @Test
    void aTruncatedCheckpointFailsTheJobWithTheTensorsName() throws Exception {
        Path model = BrokenModels.truncated(BrokenModels.demoModel(), tmp.resolve("truncated"), 0.6);
        assertThat(failure(model)).hasMessageContaining("cannot be loaded on this TaskManager").hasMessageContaining("truncated")
                .hasMessageContaining("tensor '");
    }

    @Test
    void aMissingTensorAndAMissingTokenizerAndAMissingDirectoryAreNamed() throws Exception {
        Path noTensor = BrokenModels.withoutTensor(BrokenModels.demoModel(), tmp.resolve("no-tensor"), "model.layers.1.mlp.down_proj.weight");
        assertThat(failure(noTensor)).hasMessageContaining("model.layers.1.mlp.down_proj.weight");
        Path noTokenizer = BrokenModels.withoutFile(BrokenModels.demoModel(), tmp.resolve("no-tokenizer"), "merges.txt");
        assertThat(failure(noTokenizer)).hasMessageContaining("has no tokenizer files");
        assertThat(failure(tmp.resolve("not-mounted"))).hasMessageContaining("not-mounted");
    }

    @Test
    void theClientRefusesAModelItCanSeeBeforeSubmitting() throws Exception {
        Path model = BrokenModels.withoutTensor(BrokenModels.demoModel(), tmp.resolve("client"), "model.norm.weight");
        assertThatThrownBy(() -> SpikeStreamJob.start(options(model))).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("model.norm.weight");
    }

    /** Runs the job on {@code model} without the client's check; returns why it failed, asserting it failed fast and once. */
    private Throwable failure(Path model) throws Exception {
        JobOptions o = options(model);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o);
        long started = System.nanoTime();
        JobClient job = env.executeAsync("bad-model");
        ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> job.getJobExecutionResult().get(60, TimeUnit.SECONDS));
        assertThat((System.nanoTime() - started) / 1e9).as("seconds until the job failed").isLessThan(30);
        assertThat(ExceptionUtils.findThrowable(failed, SuppressRestartsException.class)).as("not restarted").isPresent();
        assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.FAILED);
        Throwable reason = JobWatch.of(job).failure().orElseThrow();
        assertThat(reason).isInstanceOf(UnusableModelException.class);
        assertThat(JobWatch.reason(failed)).isInstanceOf(UnusableModelException.class).hasMessage(reason.getMessage());
        return reason;
    }

    private JobOptions options(Path model) {
        String suffix = UUID.randomUUID().toString();
        String documents = KafkaBrokerExtension.uniqueTopic("documents");
        String queries = KafkaBrokerExtension.uniqueTopic("queries");
        String out = KafkaBrokerExtension.uniqueTopic("out");
        String rejected = KafkaBrokerExtension.uniqueTopic("rejected");
        KAFKA.createTopics(1, documents, queries, out, rejected);
        return JobOptions.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--model", model.toString(), "--documents-topic", documents,
                "--queries-topic", queries, "--enrichments-topic", out, "--rejected-topic", rejected, "--alert-threshold", "off",
                "--parallelism", "2", "--checkpoint-interval", "300ms", "--checkpoint-dir", tmp.resolve("checkpoints-" + suffix).toString(),
                "--group-id", "it-" + suffix, "--transactional-id-prefix", "it-" + suffix, "--engine-threads", "1");
    }
}
