package io.spikestream.cli.cluster;

import io.spikestream.engine.json.Json;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A standalone Flink session cluster on this machine, from Maven jars: one JobManager process
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManager processes ({@code TaskManagerRunner}), each its own
 * JVM with its log in {@code DIR/log} and its pid in {@code DIR/jobmanager.pid}, {@code DIR/taskmanager-N.pid}.
 * Memory sizes are resolved here as Flink's scripts resolve them (JVM flags and dynamic properties).
 */
public final class LocalCluster {
    static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

    private final Path dir;
    private final FlinkHome home;
    private String kafkaLogLevel = "WARN";

    public LocalCluster(Path dir, FlinkHome home) {
        this.dir = dir.toAbsolutePath().normalize();
        this.home = home;
    }

    public Path dir() {
        return dir;
    }

    /** The level of Kafka's clients in the processes' logs (WARN: at INFO they log their settings at each checkpoint). */
    LocalCluster kafkaLogLevel(String level) {
        this.kafkaLogLevel = level;
        return this;
    }

    Path conf() {
        return dir.resolve("conf");
    }

    Path log() {
        return dir.resolve("log");
    }

    public Path jobManagerPid() {
        return dir.resolve("jobmanager.pid");
    }

    public Path taskManagerPid(int i) {
        return dir.resolve("taskmanager-" + i + ".pid");
    }

    /** Writes the configuration, starts the JobManager and {@code taskManagers} TaskManagers; returns when all registered. */
    public void start(int taskManagers, int slots, int restPort, String jobManagerMemory, String taskManagerMemory, Duration timeout)
            throws IOException, InterruptedException {
        start(taskManagers, slots, restPort, jobManagerMemory, taskManagerMemory, timeout, Map.of());
    }

    /** Like {@link #start(int, int, int, String, String, Duration)} with more settings in the configuration ({@code extra}). */
    public void start(int taskManagers, int slots, int restPort, String jobManagerMemory, String taskManagerMemory, Duration timeout,
                      Map<String, String> extra) throws IOException, InterruptedException {
        if (Files.exists(jobManagerPid()) && alive(jobManagerPid()).isPresent()) {
            throw new IllegalStateException("a cluster already runs in " + dir + " (pid " + Files.readString(jobManagerPid()).trim()
                    + "); `./spikestream cluster stop --dir " + dir + "` first");
        }
        Files.createDirectories(log());
        Files.createDirectories(dir.resolve("tmp"));
        Map<String, String> settings = ClusterConfig.local(dir, slots, restPort, freePort(), jobManagerMemory, taskManagerMemory);
        settings.putAll(extra);
        ClusterConfig.write(settings, conf().resolve("config.yaml"));
        Files.writeString(conf().resolve("log4j.properties"), LOG4J.replace("logger.kafka.level = WARN", "logger.kafka.level = " + kafkaLogLevel));
        Configuration config = GlobalConfiguration.loadConfiguration(conf().toString());
        JobManagerProcessSpec jm = JobManagerProcessUtils.processSpecFromConfig(config);
        List<String> command = java(JobManagerProcessUtils.generateJvmParametersStr(jm, config), "jobmanager");
        command.addAll(List.of(JOB_MANAGER_MAIN, "--configDir", conf().toString()));
        command.addAll(dynamic(JobManagerProcessUtils.generateDynamicConfigsStr(jm)));
        Process p = launch(command, "jobmanager");
        Files.writeString(jobManagerPid(), p.pid() + "\n");
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            awaitRest(deadline);
            List<Integer> started = new ArrayList<>();
            for (int i = 0; i < taskManagers; i++) {
                started.add(addTaskManager());
            }
            awaitRegistered(started, deadline);
        } catch (IOException | InterruptedException | RuntimeException e) {
            // a cluster that did not come up is not left half running
            try {
                stop();
            } catch (IOException | RuntimeException stopFailure) {
                e.addSuppressed(stopFailure);
            }
            throw e;
        }
    }

    /**
     * Starts one more TaskManager under the lowest index without a pid file (a TaskManager that died keeps its
     * file, and so its index, until {@link #stop}); returns its index. Its resource id is {@code taskmanager-N}.
     */
    public int addTaskManager() throws IOException {
        int i = 0;
        while (Files.exists(taskManagerPid(i))) {
            i++;
        }
        Configuration config = GlobalConfiguration.loadConfiguration(conf().toString());
        TaskExecutorProcessSpec tm = TaskExecutorProcessUtils.processSpecFromConfig(config);
        List<String> command = java(ProcessMemoryUtils.generateJvmParametersStr(tm), "taskmanager-" + i);
        command.addAll(List.of(TASK_MANAGER_MAIN, "--configDir", conf().toString()));
        command.addAll(dynamic(TaskExecutorProcessUtils.generateDynamicConfigsStr(tm)));
        command.addAll(List.of("-D", "taskmanager.resource-id=taskmanager-" + i));
        Process p = launch(command, "taskmanager-" + i);
        Files.writeString(taskManagerPid(i), p.pid() + "\n");
        return i;
    }

    /** Stops every process of the cluster (TaskManagers first), politely, then forcibly after 15 s. */
    public List<String> stop() throws IOException, InterruptedException {
        List<String> stopped = new ArrayList<>();
        List<Path> pids = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().matches("taskmanager-\\d+\\.pid")).sorted().forEach(pids::add);
        }
        pids.add(jobManagerPid());
        for (Path pid : pids) {
            if (!Files.exists(pid)) {
                continue;
            }
            Optional<ProcessHandle> h = alive(pid);
            if (h.isPresent()) {
                h.get().destroy();
                try {
                    h.get().onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    h.get().destroyForcibly();
                }
                stopped.add(pid.getFileName().toString().replace(".pid", "") + " (pid " + h.get().pid() + ")");
            }
            Files.delete(pid);
        }
        return stopped;
    }

    /** The resource ids of the TaskManagers registered with the JobManager, from its REST API. */
    public List<String> registeredTaskManagers() throws IOException, InterruptedException {
        Map<String, Object> json = Json.parseObject(get("/taskmanagers"));
        return ((List<?>) json.get("taskmanagers")).stream().map(t -> String.valueOf(((Map<?, ?>) t).get("id"))).toList();
    }

    public int restPort() throws IOException {
        Configuration config = GlobalConfiguration.loadConfiguration(conf().toString());
        return config.get(org.apache.flink.configuration.RestOptions.PORT);
    }

    /** Waits until the TaskManagers of these indices are registered; fails with the log's end when one of them, or the JobManager, died. */
    public void awaitRegistered(List<Integer> indices, long deadlineNanos) throws IOException, InterruptedException {
        List<Path> watched = new ArrayList<>(List.of(jobManagerPid()));
        indices.forEach(i -> watched.add(taskManagerPid(i)));
        while (true) {
            checkAlive(watched);
            try {
                if (registeredTaskManagers().containsAll(indices.stream().map(i -> "taskmanager-" + i).toList())) {
                    return;
                }
            } catch (IOException e) {
                // the REST endpoint is not up yet
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("TaskManagers " + indices + " did not register in time; logs in " + log());
            }
            Thread.sleep(200);
        }
    }

    private void awaitRest(long deadlineNanos) throws IOException, InterruptedException {
        while (true) {
            checkAlive(List.of(jobManagerPid()));
            try {
                get("/overview");
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadlineNanos) {
                    throw new IllegalStateException("the JobManager's REST endpoint did not come up in time: " + e.getMessage() + "; log in " + log());
                }
                Thread.sleep(200);
            }
        }
    }

    private void checkAlive(List<Path> pids) {
        for (Path pid : pids) {
            if (alive(pid).isEmpty()) {
                String name = pid.getFileName().toString().replace(".pid", "");
                throw new IllegalStateException(name + " exited; the end of " + log().resolve(name + ".log") + ":\n" + tail(name));
            }
        }
    }

    private String tail(String name) {
        for (Path f : List.of(log().resolve(name + ".log"), log().resolve(name + ".out"))) {
            try {
                List<String> lines = Files.readAllLines(f);
                if (!lines.isEmpty()) {
                    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
                }
            } catch (IOException e) {
                // try the next file
            }
        }
        return "(empty)";
    }

    String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + restPort() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    /**
     * The live process of a pid file, if it is still this cluster's: a pid the system reused for another program
     * (after a {@code kill -9}) does not count, and is never signalled.
     */
    Optional<ProcessHandle> alive(Path pidFile) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String ours = conf().toString();
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().arguments().map(a -> java.util.Arrays.asList(a).contains(ours)).orElse(true));
    }

    private List<String> java(String memoryFlags, String name) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(ClusterConfig.JVM_OPTIONS);
        c.addAll(Arrays.asList(memoryFlags.trim().split("\\s+")));
        c.add("-Dlog.file=" + log().resolve(name + ".log"));
        c.add("-Dlog4j.configurationFile=" + conf().resolve("log4j.properties").toUri());
        c.add("-cp");
        c.add(home.classpath());
        return c;
    }

    private static List<String> dynamic(String configs) {
        // "-D k=v -D k=v" as Flink's scripts pass them
        List<String> out = new ArrayList<>();
        for (String part : configs.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        return out;
    }

    private Process launch(List<String> command, String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log().resolve(name + ".out").toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static final String LOG4J = """
            # written by ./spikestream cluster start: Flink's log, one file per process (-Dlog.file)
            rootLogger.level = INFO
            rootLogger.appenderRef.file.ref = MainAppender
            appender.main.name = MainAppender
            appender.main.type = File
            appender.main.append = true
            appender.main.fileName = ${sys:log.file}
            appender.main.layout.type = PatternLayout
            appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
            logger.kafka.name = org.apache.kafka
            logger.kafka.level = WARN
            """;
}
