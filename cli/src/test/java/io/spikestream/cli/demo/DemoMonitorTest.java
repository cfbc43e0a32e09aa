package io.spikestream.cli.demo;

import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.kafka.Topics;
import io.spikestream.connectors.testing.KafkaBrokerExtension;
import io.spikestream.engine.UnusableModelException;
import io.spikestream.engine.testing.BrokenModels;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The demo watches its job: a job that fails ends the wait at once, with the reason, instead of waiting for output. */
class DemoMonitorTest {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    @Test
    void aJobWhoseTaskManagerCannotLoadTheModelEndsTheWaitWithTheReason() throws Exception {
        KafkaTopics.ensure(KAFKA.bootstrapServers(), 1, Topics.ALL);
        // the client's check is bypassed (SpikeStreamJob.build, not start): only the TaskManager sees the problem
        Path model = BrokenModels.truncated(BrokenModels.demoModel(), tmp.resolve("model"), 0.6);
        String id = UUID.randomUUID().toString();
        JobOptions o = JobOptions.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--model", model.toString(), "--alert-threshold", "off",
                "--parallelism", "1", "--checkpoint-interval", "1s", "--checkpoint-dir", tmp.resolve("checkpoints").toString(),
                "--group-id", "demo-" + id, "--transactional-id-prefix", "demo-" + id, "--engine-threads", "1");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SpikeStreamJob.configuration(o));
        SpikeStreamJob.build(env, o);
        JobClient job = env.executeAsync("demo-bad-model");
        try (DemoMonitor monitor = new DemoMonitor(KAFKA.bootstrapServers(), new PrintWriter(new StringWriter()), List.of())) {
            monitor.start();
            long started = System.nanoTime();
            assertThatThrownBy(() -> monitor.awaitEnded(List.of("service-log"), System.nanoTime() + TimeUnit.MINUTES.toNanos(2), JobWatch.of(job)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("the job failed before the END records of [service-log] arrived")
                    .hasMessageContaining("cannot be loaded on this TaskManager").hasMessageContaining("truncated")
                    .hasCauseInstanceOf(UnusableModelException.class);
            assertThat((System.nanoTime() - started) / 1e9).as("seconds until the demo gave up").isLessThan(30);
        }
    }
}
