package io.spikestream.operator.job;

import io.spikestream.engine.UnusableModelException;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;

import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Why a job failed, as its user should read it: the model's or the input's problem, not Flink's wrappers around it. */
public final class JobFailure {
    private JobFailure() {
    }

    /** The first {@link UnusableModelException} in the chain of causes, else the innermost cause with a message. */
    public static Throwable reason(Throwable failure) {
        Throwable innermost = failure;
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t instanceof UnusableModelException) {
                return t;
            }
            if (t.getMessage() != null) {
                innermost = t;
            }
        }
        return innermost;
    }

    /** The reason a job that reached {@link JobStatus#FAILED} failed; empty while it runs or when it ended otherwise. */
    public static Optional<Throwable> of(JobClient job) throws Exception {
        if (job.getJobStatus().get(10, TimeUnit.SECONDS) != JobStatus.FAILED) {
            return Optional.empty();
        }
        try {
            job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            return Optional.empty();
        } catch (ExecutionException e) {
            return Optional.of(reason(e.getCause()));
        }
    }
}
