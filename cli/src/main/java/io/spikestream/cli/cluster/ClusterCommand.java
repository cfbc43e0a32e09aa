package io.spikestream.cli.cluster;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code ./spikestream cluster start|stop|add-taskmanager}: a standalone Flink session cluster on this machine. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A standalone Flink session cluster from Maven jars: a JobManager and TaskManagers, each its own process.",
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.AddTaskManager.class})
public final class ClusterCommand implements Runnable {
    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "give a subcommand: start, stop or add-taskmanager");
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Writes DIR/conf/config.yaml, starts the JobManager and the TaskManagers, returns once they all registered.")
    static final class Start implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Cluster directory: configuration, logs, pid files, checkpoints, savepoints.")
        Path dir;
        @Option(names = "--task-managers", defaultValue = "2", description = "TaskManager processes (default 2).")
        int taskManagers;
        @Option(names = "--slots", defaultValue = "2", description = "Slots per TaskManager (default 2).")
        int slots;
        @Option(names = "--rest-port", defaultValue = "8081", description = "The JobManager's REST port (default 8081).")
        int restPort;
        @Option(names = "--jobmanager-memory", defaultValue = "1024m", description = "JobManager process size (default 1024m).")
        String jobManagerMemory;
        @Option(names = "--taskmanager-memory", defaultValue = "1536m", description = "TaskManager process size (default 1536m).")
        String taskManagerMemory;
        @Option(names = "--timeout", defaultValue = "120", description = "Seconds to wait for the TaskManagers to register (default 120).")
        int timeoutSeconds;
        @Option(names = "--prometheus-port", defaultValue = "0", description = {"Enable Flink's Prometheus reporter: each process serves",
            "http://localhost:PORT/metrics on the first free port from this one (default 0: off)."})
        int prometheusPort;

        @Override
        public Integer call() throws Exception {
            LocalCluster cluster = new LocalCluster(dir, FlinkHome.locate());
            long t = System.nanoTime();
            cluster.start(taskManagers, slots, restPort, jobManagerMemory, taskManagerMemory, Duration.ofSeconds(timeoutSeconds),
                    prometheusPort > 0 ? ClusterConfig.prometheus(prometheusPort, taskManagers + 1) : java.util.Map.of());
            if (prometheusPort > 0) {
                System.out.printf("Prometheus metrics at http://localhost:%d/metrics and the next free ports (one per process)%n", prometheusPort);
            }
            System.out.printf("cluster in %s: JobManager (pid %s) and %d TaskManagers with %d slots each registered in %.1f s; "
                            + "REST at localhost:%d (submit with ./spikestream job --cluster localhost:%d ...)%n",
                    cluster.dir(), java.nio.file.Files.readString(cluster.jobManagerPid()).trim(), taskManagers, slots,
                    (System.nanoTime() - t) / 1e9, restPort, restPort);
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stops every process of the cluster in DIR.")
    static final class Stop implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;

        @Override
        public Integer call() throws Exception {
            var stopped = new LocalCluster(dir, FlinkHome.locate()).stop();
            System.out.println(stopped.isEmpty() ? "nothing was running in " + dir : "stopped " + String.join(", ", stopped));
            return 0;
        }
    }

    @Command(name = "add-taskmanager", mixinStandardHelpOptions = true, description = "Starts one more TaskManager; returns once it registered.")
    static final class AddTaskManager implements Callable<Integer> {
        @Option(names = "--dir", required = true)
        Path dir;
        @Option(names = "--timeout", defaultValue = "120")
        int timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            LocalCluster cluster = new LocalCluster(dir, FlinkHome.locate());
            int i = cluster.addTaskManager();
            cluster.awaitRegistered(java.util.List.of(i), System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos());
            System.out.printf("taskmanager-%d (pid %s) registered: %d TaskManagers%n", i,
                    java.nio.file.Files.readString(cluster.taskManagerPid(i)).trim(), cluster.registeredTaskManagers().size());
            return 0;
        }
    }
}
