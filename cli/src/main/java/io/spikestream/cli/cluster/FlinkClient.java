package io.spikestream.cli.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's own command-line client ({@code CliFrontend}, what {@code flink run} and {@code flink stop} run), in a
 * JVM whose classpath is Flink's jars only: the job jar's Kafka connector, kafka-clients and Avro are then loaded
 * from the job jar alone (child-first), exactly as on the cluster's TaskManagers.
 */
public final class FlinkClient {
    private static final Pattern SUBMITTED = Pattern.compile("Job has been submitted with JobID ([0-9a-f]{32})");
    private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");

    private final FlinkHome home;
    private final String host;
    private final int port;

    public FlinkClient(FlinkHome home, String hostPort) {
        this.home = home;
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--cluster takes HOST:PORT (the JobManager's REST endpoint), got '" + hostPort + "'");
        }
        this.host = hostPort.substring(0, colon);
        this.port = Integer.parseInt(hostPort.substring(colon + 1));
    }

    /** {@code flink run -d [-s savepoint] JAR args}: submits the job detached; returns its id. */
    public String submit(List<String> jobArgs, String restorePath) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("run", "-d"));
        if (restorePath != null) {
            args.addAll(List.of("-s", restorePath));
        }
        args.add(home.jobJar().toString());
        args.addAll(jobArgs);
        String out = run(args);
        Matcher m = SUBMITTED.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("Flink's client did not submit the job:\n" + out.strip());
        }
        return m.group(1);
    }

    /** {@code flink stop --savepointPath DIR JOB_ID}: a savepoint, then the job finishes; returns the savepoint's path. */
    public String stopWithSavepoint(String jobId, Path savepointDir) throws IOException, InterruptedException {
        String out = run(List.of("stop", "--savepointPath", savepointDir.toAbsolutePath().toUri().toString(), jobId));
        Matcher m = SAVEPOINT.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("Flink's client did not take the savepoint:\n" + out.strip());
        }
        return m.group(1);
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        Path conf = Files.createTempDirectory("spikestream-flink-client-");
        try {
            // the client reads its configuration from FLINK_CONF_DIR: where the cluster's REST endpoint is
            Files.writeString(conf.resolve("config.yaml"), "rest.address: " + host + "\nrest.port: " + port + "\n"
                    + "classloader.resolve-order: child-first\n");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(ClusterConfig.JVM_OPTIONS);
            command.addAll(List.of("-Dlog4j2.level=WARN", "-cp", home.classpath(), "org.apache.flink.client.cli.CliFrontend"));
            command.addAll(args);
            Path output = conf.resolve("client.out");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("FLINK_CONF_DIR", conf.toString());
            Process p = pb.start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("Flink's client did not finish in 5 minutes:\n" + cause(Files.readString(output)));
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("Flink's client failed (exit " + p.exitValue() + "):\n" + cause(out));
            }
            return out;
        } finally {
            try (var files = Files.list(conf)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(conf);
        }
    }

    /** The lines of the client's output that say what went wrong (it prints long traces). */
    private static String cause(String out) {
        List<String> keep = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("\tat ") && !line.isBlank() && !line.startsWith("WARNING")) {
                keep.add(line);
            }
        }
        return String.join("\n", keep.subList(0, Math.min(keep.size(), 30)));
    }
}
