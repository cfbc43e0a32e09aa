package io.spikestream.cli.job;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Flink metric reporter for jobs on a MiniCluster in this JVM: it keeps the metrics a job's progress is made of
 * (the scoring operator's {@code spikestream.*} counters, the decoders' rejections, the Kafka sources'
 * {@code pendingRecords}, the JobManager's checkpoint gauges) so that {@link LocalJob} can add them up. These are
 * the numbers any reporter sees (Prometheus, JMX); nothing is counted twice for this one.
 *
 * <p>A counter of a task that ends (finished, or failed and restarted) keeps counting in the totals with its last
 * value: after a failover, what was replayed from the last checkpoint is counted again. A gauge that ends keeps
 * its last value until the same subtask registers it again.
 */
public final class JobMetrics implements MetricReporter {
    /** The factory Flink instantiates from {@code metrics.reporter.NAME.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new JobMetrics();
        }
    }

    private static final Map<String, Totals> JOBS = new ConcurrentHashMap<>();

    /** The metrics of one job, by job id (hex). */
    static Totals of(String jobId) {
        return JOBS.computeIfAbsent(jobId, k -> new Totals());
    }

    static void forget(String jobId) {
        JOBS.remove(jobId);
    }

    /** What one job's metrics add up to now. */
    static final class Totals {
        private final Map<String, Sum> sums = new ConcurrentHashMap<>();

        private Sum sum(String name) {
            return sums.computeIfAbsent(name, k -> new Sum());
        }

        /** The sum of every metric named {@code name} (live and ended). */
        long get(String name) {
            Sum s = sums.get(name);
            return s == null ? 0 : s.value();
        }

        /** How many live metrics named {@code name} there are, and whether each reads {@code value}. */
        boolean allLive(String name, long value, int count) {
            Sum s = sums.get(name);
            return s != null && s.allLive(value, count);
        }

        /** The largest value of the gauges named {@code name} (live or ended), or -1. */
        long max(String name) {
            Sum s = sums.get(name);
            return s == null ? -1 : s.max();
        }
    }

    /** Live metrics of one name, and what ended ones had counted (counters) or last read (gauges, per subtask). */
    private static final class Sum {
        private final Map<Metric, String> live = new java.util.LinkedHashMap<>();
        private final Map<String, Long> endedGauges = new java.util.HashMap<>();
        private long endedCounts;

        synchronized void add(Metric m, String where) {
            live.put(m, where);
            endedGauges.remove(where);
        }

        synchronized void remove(Metric m) {
            String where = live.remove(m);
            if (where == null) {
                return;
            }
            if (m instanceof Counter c) {
                endedCounts += c.getCount();
            } else {
                endedGauges.put(where, read(m));
            }
        }

        synchronized long value() {
            long v = endedCounts;
            for (long g : endedGauges.values()) {
                v += g;
            }
            for (Metric m : live.keySet()) {
                v += read(m);
            }
            return v;
        }

        synchronized long max() {
            long v = -1;
            for (long g : endedGauges.values()) {
                v = Math.max(v, g);
            }
            for (Metric m : live.keySet()) {
                v = Math.max(v, read(m));
            }
            return v;
        }

        synchronized boolean allLive(long value, int count) {
            if (live.size() != count) {
                return false;
            }
            for (Metric m : live.keySet()) {
                if (read(m) != value) {
                    return false;
                }
            }
            return true;
        }

        private static long read(Metric m) {
            if (m instanceof Counter c) {
                return c.getCount();
            }
            if (m instanceof Gauge<?> g && g.getValue() instanceof Number n) {
                return n.longValue();
            }
            return 0;
        }
    }

    /** The metrics kept: the scoring operator's group and name, or a plain name. */
    private static String kept(String name, MetricGroup group) {
        String subtask = group.getAllVariables().get("<subtask_index>");
        // an operator's metric in its group "spikestream" (the job's name may be "spikestream" too)
        if (subtask != null && group.getMetricIdentifier(name).endsWith("." + subtask + ".spikestream." + name)) {
            return "spikestream." + name;
        }
        return switch (name) {
            // the decoders' rejections, Kafka sources' lag, the JobManager's checkpoints
            case "rejectedRecords", "pendingRecords", "lastCompletedCheckpointId", "lastCheckpointDuration",
                 "numberOfCompletedCheckpoints" -> name;
            default -> null;
        };
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        String job = group.getAllVariables().get("<job_id>");
        String key = kept(name, group);
        if (job != null && key != null) {
            Map<String, String> v = group.getAllVariables();
            // which instance it is: a gauge of a restarted subtask replaces the one of its ended attempt
            of(job).sum(key).add(metric, v.getOrDefault("<operator_id>", v.getOrDefault("<task_id>", "job")) + "/" + v.getOrDefault("<subtask_index>", ""));
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        String job = group.getAllVariables().get("<job_id>");
        String key = kept(name, group);
        if (job != null && key != null) {
            Totals t = JOBS.get(job);
            if (t != null) {
                t.sum(key).remove(metric);
            }
        }
    }

    @Override
    public void open(MetricConfig config) {
    }

    @Override
    public void close() {
    }
}
