package io.spikestream.cli.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Flink configuration of a SpikeStream cluster, in one place: the {@code config.yaml} keys and the JVM
 * options every Flink process needs (the Vector API module, the {@code --add-opens} Flink 2 needs on JDK 17).
 * The local cluster writes them; the files under {@code deploy/} must carry the same ({@code DeployFilesTest}).
 */
public final class ClusterConfig {
    /** JVM options of every JobManager and TaskManager process ({@code env.java.opts.all}). */
    public static final List<String> JVM_OPTIONS = List.of(
            "--add-modules", "jdk.incubator.vector",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED");

    /** Keys every SpikeStream cluster sets the same way, wherever it runs (local, compose, Kubernetes). */
    public static final Map<String, String> COMMON = common();

    private ClusterConfig() {
    }

    private static Map<String, String> common() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("state.backend.type", "rocksdb");
        m.put("execution.checkpointing.incremental", "true");
        m.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        m.put("classloader.resolve-order", "child-first");
        m.put("env.java.opts.all", String.join(" ", JVM_OPTIONS));
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The whole configuration of a local cluster in {@code dir}. */
    public static Map<String, String> local(Path dir, int slots, int restPort, int rpcPort, String jobManagerMemory, String taskManagerMemory) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jobmanager.rpc.address", "localhost");
        m.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        m.put("jobmanager.bind-host", "localhost");
        m.put("jobmanager.memory.process.size", jobManagerMemory);
        m.put("taskmanager.host", "localhost");
        m.put("taskmanager.bind-host", "localhost");
        m.put("taskmanager.rpc.port", "0");
        m.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        m.put("taskmanager.memory.process.size", taskManagerMemory);
        m.put("rest.address", "localhost");
        m.put("rest.bind-address", "localhost");
        m.put("rest.port", Integer.toString(restPort));
        m.put("blob.server.port", "0");
        m.put("parallelism.default", "1");
        // spread a job's slots over the TaskManagers: losing one then costs a share of the job, not all of it
        m.put("cluster.evenly-spread-out-slots", "true");
        m.putAll(COMMON);
        m.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        m.put("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toUri().toString());
        m.put("io.tmp.dirs", dir.resolve("tmp").toString());
        // a TaskManager that is gone is noticed within seconds, not the default minute
        m.put("heartbeat.interval", "2000");
        m.put("heartbeat.timeout", "10000");
        return m;
    }

    /**
     * Flink's Prometheus reporter: every process of the cluster serves its metrics (the job's {@code spikestream_*}
     * among them) at {@code http://HOST:PORT/metrics}, each on the first free port from {@code firstPort} on.
     */
    public static Map<String, String> prometheus(int firstPort, int processes) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        m.put("metrics.reporter.prom.port", firstPort + "-" + (firstPort + processes + 8));
        return m;
    }

    /** Flink's {@code config.yaml}: one {@code key: value} per line (flat keys are valid YAML). */
    public static void write(Map<String, String> settings, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("# written by ./spikestream cluster start\n");
        settings.forEach((k, v) -> sb.append(k).append(": ").append(quote(v)).append('\n'));
        Files.createDirectories(file.getParent());
        Files.writeString(file, sb.toString());
    }

    private static String quote(String v) {
        return v.matches("[A-Za-z0-9_./:=-]+") && !v.contains(": ") ? v : "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
