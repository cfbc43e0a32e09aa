package io.spikestream.cli.job;

import io.spikestream.cli.cluster.FlinkClient;
import io.spikestream.cli.cluster.FlinkHome;
import io.spikestream.cli.kafka.KafkaClientOptions;
import io.spikestream.connectors.kafka.KafkaTopics;
import io.spikestream.connectors.kafka.access.JobAcls;
import io.spikestream.engine.ModelCheck;
import io.spikestream.operator.job.JobOptions;
import io.spikestream.operator.job.SpikeStreamJob;
import org.apache.flink.core.execution.JobClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * {@code ./spikestream job}: the SpikeStream job on a local Flink (in this JVM) until it ends or Ctrl-C.
 * The options are the job jar's ({@link JobOptions}), so a command line moves unchanged to {@code flink run}.
 */
@Command(name = "job",
        description = {"Run the SpikeStream job on a local Flink until Ctrl-C (or, with --bounded, until the topics are read).",
            "Checkpoints are retained in --checkpoint-dir; after a crash (even kill -9) run again with --resume latest.",
            "Options are those of `flink run spikestream-job.jar`; `spikestream job --help` lists them."})
public final class JobCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.println("Usage: spikestream job --bootstrap-servers B [--command-config FILE] --model DIR [options]");
            System.out.println(JobOptions.usage());
            System.out.println("  --create-topics: create missing topics with this many partitions");
            System.out.println("  --print-acls PRINCIPAL: print the kafka-acls.sh commands that grant PRINCIPAL (User:NAME) what this job needs, and exit");
            System.out.println("  --cluster HOST:PORT: submit to a running Flink cluster (its REST endpoint) with Flink's client, print the job id, return");
            System.out.println("  --cluster HOST:PORT --stop-with-savepoint JOB_ID --savepoint-dir DIR: stop a job with a savepoint, print its path");
            System.out.println("  --web-port: local job: Flink's web UI on this port (default: the first free one from " + LocalJob.DEFAULT_WEB_PORT
                    + "; 0: a random port, not shown)");
            System.out.println("  --progress-interval: local job: a status line on stderr this often (default 10s; 0: none); a bounded job's last stdout line is its summary as JSON");
            return 0;
        }
        List<String> a = new java.util.ArrayList<>(args);
        String cluster = take(a, "--cluster");
        String stopJob = take(a, "--stop-with-savepoint");
        String savepointDir = take(a, "--savepoint-dir");
        String aclsFor = take(a, "--print-acls");
        String webPortOption = take(a, "--web-port");
        String progressOption = take(a, "--progress-interval");
        Integer webPort = webPortOption == null ? null : port(webPortOption);
        Duration progressInterval = progressOption == null ? Duration.ofSeconds(10) : JobOptions.duration("progress-interval", progressOption);
        if (cluster != null && (webPortOption != null || progressOption != null)) {
            throw new IllegalArgumentException("--web-port and --progress-interval are for a local job; a cluster has its own web UI and metrics");
        }
        if (stopJob != null) {
            if (cluster == null || savepointDir == null) {
                throw new IllegalArgumentException("--stop-with-savepoint JOB_ID needs --cluster HOST:PORT and --savepoint-dir DIR");
            }
            String path = new FlinkClient(FlinkHome.locate(), cluster).stopWithSavepoint(stopJob, Path.of(savepointDir));
            System.out.println(path);
            System.err.println("spikestream job: " + stopJob + " stopped with a savepoint at " + path + " (resume with --resume " + path + ")");
            return 0;
        }
        if (cluster == null && a.stream().noneMatch(x -> x.equals("--checkpoint-dir") || x.startsWith("--checkpoint-dir="))) {
            a.addAll(List.of("--checkpoint-dir", "checkpoints")); // locally, retained checkpoints go to ./checkpoints
        }
        int createTopics = 0;
        int i = a.indexOf("--create-topics");
        if (i >= 0) {
            if (i + 1 >= a.size()) {
                throw new IllegalArgumentException("--create-topics needs a partition count");
            }
            createTopics = Integer.parseInt(a.get(i + 1));
            a.subList(i, i + 2).clear();
        }
        JobOptions options = JobOptions.parse(a.toArray(String[]::new));
        if (aclsFor != null) {
            for (String line : JobAcls.asCommands(SpikeStreamJob.acls(options, aclsFor), options.bootstrapServers())) {
                System.out.println(line);
            }
            return 0;
        }
        KafkaClientOptions.warnUnknown(options.kafka());
        if (cluster == null) {
            // locally the TaskManager is this JVM: the model must be here, and usable, before anything starts
            ModelCheck.requireUsable(Path.of(options.operator().modelDir()));
        } else {
            // a cluster's TaskManagers read the directory themselves; when this machine sees it too, check it here
            SpikeStreamJob.checkModel(options);
        }
        List<String> topics = new java.util.ArrayList<>(SpikeStreamJob.inputTopics(options));
        topics.addAll(SpikeStreamJob.outputTopics(options));
        if (createTopics > 0) {
            KafkaTopics.ensure(options.kafka(), createTopics, topics);
        }
        // Refusals (TLS, credentials, ACLs) and missing topics stop here, with the reason: a missing topic would
        // otherwise stall the job (sources wait, transactional sinks block), not fail it.
        SpikeStreamJob.requireKafka(options);
        System.err.println("spikestream job: Kafka " + options.bootstrapServers() + " over " + options.kafka().summary());
        System.err.printf("spikestream job: %s -> %s (rejected: %s), queries %s, parallelism %s, checkpoints every %s in %s%s%n",
                options.documentsTopic(), options.enrichmentsTopic(), options.rejectedTopic(), options.queriesTopic(),
                options.parallelism() == 0 ? "default" : options.parallelism(), options.checkpointInterval(), options.checkpointDir(),
                options.resume() == null ? "" : ", resuming from " + options.resume());
        System.err.println("spikestream job: input " + options.input().format()
                + (options.textField() == null ? "" : " (text field " + options.textField() + (options.keyField() == null ? "" : ", key field " + options.keyField()) + ")")
                + "; alerts " + options.alerts().describe() + (options.alerts().enabled() ? " -> " + options.alertsTopic() : ""));
        if (cluster != null) {
            String restore = SpikeStreamJob.resumePath(options).orElse(null);
            List<String> jobArgs = new java.util.ArrayList<>(a);
            String given = take(jobArgs, "--resume");
            if (given != null && restore != null) {
                jobArgs.addAll(List.of("--resume", restore)); // "latest" resolved here, where the checkpoint directory is read
            }
            String id = new FlinkClient(FlinkHome.locate(), cluster).submit(jobArgs, restore);
            System.out.println(id);
            System.err.println("spikestream job: submitted to " + cluster + " as " + id + (restore == null ? "" : ", restoring " + restore)
                    + " (./spikestream job --cluster " + cluster + " --stop-with-savepoint " + id + " --savepoint-dir DIR stops it)");
            return 0;
        }
        try (LocalJob local = LocalJob.start(options, webPort)) {
            JobClient job = local.client();
            if (webPort == null || webPort != 0) {
                System.err.println("spikestream job: Flink web UI at " + local.webUi());
            }
            System.err.println("spikestream job: running as " + job.getJobID() + " (Ctrl-C cancels; checkpoints stay for --resume latest)");
            Thread cancel = new Thread(() -> {
                try {
                    job.cancel().get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException e) {
                    System.err.println("spikestream job: cancel failed: " + e.getCause());
                }
            }, "spikestream-job-cancel");
            Runtime.getRuntime().addShutdownHook(cancel);
            LocalJob.Outcome outcome = local.await(progressInterval, System.err);
            try {
                Runtime.getRuntime().removeShutdownHook(cancel);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook cancels the job
            }
            System.err.printf("spikestream job: finished after %d ms%n", outcome.result().getNetRuntime());
            if (options.bounded()) {
                System.out.println(outcome.progress().summary(outcome.seconds()));
            }
        }
        return 0;
    }

    private static int port(String value) {
        int port;
        try {
            port = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--web-port needs a port number (0: a random one), got " + value);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--web-port needs a port number (0: a random one), got " + value);
        }
        return port;
    }

    /** Removes {@code --name value} (or {@code --name=value}) from {@code a}; returns the value, or null when absent. */
    private static String take(List<String> a, String name) {
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals(name)) {
                if (i + 1 >= a.size()) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String v = a.get(i + 1);
                a.subList(i, i + 2).clear();
                return v;
            }
            if (a.get(i).startsWith(name + "=")) {
                return a.remove(i).substring(name.length() + 1);
            }
        }
        return null;
    }
}
