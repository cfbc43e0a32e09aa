package io.spikestream.operator.job;

import io.spikestream.connectors.kafka.access.KafkaRefusal;
import io.spikestream.engine.UnusableModelException;
import org.apache.flink.core.execution.JobClient;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Watches a submitted job for its end, and says why it failed as its user should read it: the model's or the
 * input's problem, not Flink's wrappers. It follows the job's result, not its status: a local job's MiniCluster
 * shuts down with the job, after which its status can no longer be asked.
 */
public final class JobWatch {
    private final CompletableFuture<?> result;

    private JobWatch(CompletableFuture<?> result) {
        this.result = result;
    }

    public static JobWatch of(JobClient job) {
        return new JobWatch(job.getJobExecutionResult());
    }

    /** Watches several jobs that should all keep running: ended as soon as one of them ends, with its failure. */
    public static JobWatch ofAny(java.util.List<JobClient> jobs) {
        return new JobWatch(CompletableFuture.anyOf(jobs.stream().map(JobClient::getJobExecutionResult).toArray(CompletableFuture[]::new)));
    }

    /** Whether the job has ended (finished, failed or cancelled). */
    public boolean ended() {
        return result.isDone();
    }

    /** Why the job failed; empty while it runs or when it ended without failing. */
    public Optional<Throwable> failure() {
        if (!result.isDone()) {
            return Optional.empty();
        }
        try {
            result.join();
            return Optional.empty();
        } catch (CancellationException e) {
            return Optional.empty();
        } catch (CompletionException e) {
            return Optional.of(reason(e.getCause()));
        }
    }

    /**
     * The first {@link UnusableModelException} or {@link KafkaRefusal} in the chain of causes (they say what to fix),
     * else the innermost cause with a message.
     */
    public static Throwable reason(Throwable failure) {
        Throwable innermost = failure;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof UnusableModelException || t instanceof KafkaRefusal) {
                return t;
            }
            if (t.getMessage() != null) {
                innermost = t;
            }
        }
        return innermost;
    }
}
