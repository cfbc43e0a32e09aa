package io.spikestream.cli.job;

import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.JobWatch;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.executiongraph.ArchivedExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

import java.io.PrintStream;
import java.net.BindException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The job on a Flink MiniCluster in this JVM, as {@code ./spikestream job} runs it: Flink's web UI on a port of
 * this machine, the job's progress from its metrics ({@link JobMetrics}), and its summary when it ends.
 *
 * <p>A bounded job checkpoints as soon as its input has been applied instead of at the next interval: its last
 * output commits with that checkpoint, so the job ends when its work is done.
 */
public final class LocalJob implements AutoCloseable {
    /** The web UI's first port when none is given; the next free one up to {@link #WEB_PORTS} above it is taken. */
    public static final int DEFAULT_WEB_PORT = 8081;
    private static final int WEB_PORTS = 100;
    private static final long POLL_MS = 100;

    private final MiniCluster cluster;
    private final JobClient client;
    private final JobID id;
    private final int parallelism;
    private final boolean bounded;
    private final JobMetrics.Totals metrics;

    private LocalJob(MiniCluster cluster, JobClient client, int parallelism, boolean bounded) {
        this.cluster = cluster;
        this.client = client;
        this.id = client.getJobID();
        this.parallelism = parallelism;
        this.bounded = bounded;
        this.metrics = JobMetrics.of(id.toHexString());
    }

    /**
     * Starts a MiniCluster and submits the job (model and Kafka already checked). {@code webPort}: the web UI's
     * port; null takes the first free one from {@link #DEFAULT_WEB_PORT}, 0 a random one (not shown).
     */
    public static LocalJob start(JobOptions options, Integer webPort) throws Exception {
        Configuration c = SpikeStreamJob.configuration(options);
        int parallelism = options.parallelism() > 0 ? options.parallelism() : Runtime.getRuntime().availableProcessors();
        c.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        c.set(PipelineOptions.NAME, "spikestream");
        c.set(RestOptions.ADDRESS, "localhost");
        c.set(RestOptions.BIND_ADDRESS, "localhost");
        c.set(RestOptions.BIND_PORT, webPort == null ? DEFAULT_WEB_PORT + "-" + (DEFAULT_WEB_PORT + WEB_PORTS) : webPort.toString());
        c.set(WebOptions.SUBMIT_ENABLE, false); // a job's own cluster: no uploads of other jars
        c.setString("metrics.reporter.spikestream-progress.factory.class", JobMetrics.Factory.class.getName());
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(c).setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism).setRpcServiceSharing(RpcServiceSharing.SHARED).build());
        try {
            cluster.start();
        } catch (Exception e) {
            cluster.close();
            if (hasCause(e, BindException.class)) {
                throw new IllegalArgumentException("the web UI cannot listen on port " + (webPort == null
                        ? DEFAULT_WEB_PORT + "-" + (DEFAULT_WEB_PORT + WEB_PORTS) : webPort)
                        + " (in use); pass --web-port with a free port, or 0 for a random one", e);
            }
            throw e;
        }
        try {
            StreamExecutionEnvironment env = new StreamExecutionEnvironment(c);
            SpikeStreamJob.build(env, options);
            StreamGraph graph = PipelineExecutorUtils.getStreamGraph(env.getStreamGraph(), c); // with the restore settings
            graph.serializeUserDefinedInstances();
            JobID id = cluster.submitJob(graph).get().getJobID();
            JobClient client = new MiniClusterJobClient(id, cluster, LocalJob.class.getClassLoader(),
                    MiniClusterJobClient.JobFinalizationBehavior.NOTHING);
            return new LocalJob(cluster, client, parallelism, options.bounded());
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    public JobClient client() {
        return client;
    }

    /** Where Flink's web UI is. */
    public URI webUi() throws Exception {
        return cluster.getRestAddress().get(30, TimeUnit.SECONDS);
    }

    /** How the job ended: its progress at the end, and how long it ran (RUNNING to its end). */
    public record Outcome(JobProgress progress, double seconds, JobExecutionResult result) {
    }

    /**
     * Waits for the job to end, with a status line on {@code out} every {@code interval} (zero: none). A failed
     * job throws with the reason its user should read ({@link JobWatch#reason}).
     */
    public Outcome await(Duration interval, PrintStream out) throws Exception {
        CompletableFuture<JobExecutionResult> result = client.getJobExecutionResult();
        long firstRunning = -1;
        long nextLine = interval.isZero() ? Long.MAX_VALUE : System.currentTimeMillis() + interval.toMillis();
        long lastLine = System.currentTimeMillis();
        long lastTokens = 0;
        long checkpointSeen = -1;
        long checkpointAt = -1;
        CompletableFuture<?> finalCheckpoint = null;
        while (!result.isDone()) {
            try {
                result.get(POLL_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException waiting) {
                // poll on
            } catch (ExecutionException failed) {
                break;
            }
            long now = System.currentTimeMillis();
            if (firstRunning < 0 && status() == JobStatus.RUNNING) {
                firstRunning = now;
            }
            JobProgress p = JobProgress.of(metrics);
            if (p.checkpoint() != checkpointSeen) {
                checkpointSeen = p.checkpoint();
                checkpointAt = now;
            }
            if (bounded && (finalCheckpoint == null || finalCheckpoint.isDone()) && metrics.allLive("spikestream.inputsEnded", 2, parallelism)) {
                // every input applied: the checkpoint that commits the last output need not wait for the interval
                finalCheckpoint = cluster.triggerCheckpoint(id);
            }
            if (now >= nextLine) {
                double since = firstRunning < 0 ? 0 : (now - firstRunning) / 1e3;
                out.println(p.line(since, (p.tokens() - lastTokens) * 1e3 / Math.max(1, now - lastLine),
                        checkpointAt < 0 || p.checkpoint() <= 0 ? -1 : (now - checkpointAt) / 1e3));
                lastTokens = p.tokens();
                lastLine = now;
                nextLine = now + interval.toMillis();
            }
        }
        JobExecutionResult r;
        try {
            r = result.get();
        } catch (ExecutionException e) {
            Throwable reason = JobWatch.reason(e.getCause());
            throw new IllegalStateException("the job " + id + " failed: " + reason.getMessage(), reason);
        }
        Outcome o = new Outcome(JobProgress.of(metrics), runningSeconds(firstRunning), r);
        if (!interval.isZero()) {
            // the last status line: the whole run
            out.println(o.progress().line(o.seconds(), o.seconds() > 0 ? o.progress().tokens() / o.seconds() : 0,
                    checkpointAt < 0 ? -1 : (System.currentTimeMillis() - checkpointAt) / 1e3));
        }
        return o;
    }

    /** From the first RUNNING (as the JobManager recorded it, or as seen here) to the end. */
    private double runningSeconds(long firstSeen) throws Exception {
        ArchivedExecutionGraph g = cluster.getArchivedExecutionGraph(id).get(30, TimeUnit.SECONDS);
        long running = g.getStatusTimestamp(JobStatus.RUNNING);
        long end = g.getStatusTimestamp(g.getState());
        long start = running > 0 && (firstSeen < 0 || running <= firstSeen) ? running : firstSeen; // a restart moves RUNNING later
        return start > 0 && end >= start ? (end - start) / 1e3 : 0;
    }

    private JobStatus status() {
        try {
            return client.getJobStatus().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return JobStatus.INITIALIZING;
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** The job's metrics now. */
    JobProgress progress() {
        return JobProgress.of(metrics);
    }

    @Override
    public void close() throws Exception {
        JobMetrics.forget(id.toHexString());
        cluster.close();
    }
}
