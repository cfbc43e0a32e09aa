package io.spikestream.cli.sql;

import io.spikestream.cli.cluster.FlinkHome;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Flink's own SQL Client (embedded mode) in a JVM of its own, on the classpath of {@code sql-client/target/lib}
 * (the client reads its configuration from {@code FLINK_CONF_DIR}, which this writes): {@code score_lines}
 * registered from the function jar by an init file, the Kafka SQL connector and Avro added to the session (so
 * the client plans with the classes every job ships to the TaskManagers), results as {@code TABLEAU}. Jobs go to
 * a local MiniCluster inside the client, or to a running cluster.
 */
public final class SqlClientProcess {
    /** What the client prints for a failed statement; it still exits 0. */
    static final String FAILED = "[ERROR] Could not execute SQL statement.";

    private final String cluster;
    private final Path dir;
    private final Path log;
    private final List<String> command = new ArrayList<>();

    /** A client for the cluster at {@code cluster} ({@code HOST:PORT}), or a local MiniCluster when null. */
    public SqlClientProcess(String cluster) throws IOException {
        this.cluster = cluster;
        FlinkHome home = FlinkHome.locate();
        Path jar = home.root().resolve("flink-sql").resolve("target").resolve("spikestream-sql.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no function jar at " + jar + ": build it with `mvn -B -DskipTests package`");
        }
        Path client = home.root().resolve("sql-client").resolve("target");
        if (!Files.isDirectory(client.resolve("lib")) || !Files.isDirectory(client.resolve("connectors"))) {
            throw new IllegalStateException("no SQL Client jars in " + client + ": build them with `mvn -B -DskipTests package`");
        }
        String configuration = configuration(cluster); // a malformed --cluster before any file is written
        dir = Files.createTempDirectory("spikestream-sql");
        Files.writeString(dir.resolve("config.yaml"), configuration);
        // A local MiniCluster lives as long as the client: there a statement's job is waited for.
        Path init = Files.writeString(dir.resolve("init.sql"), "CREATE TEMPORARY SYSTEM FUNCTION score_lines AS 'io.spikestream.sql.ScoreLines' "
                + "USING JAR '" + jar.toAbsolutePath() + "';\nCREATE TEMPORARY SYSTEM FUNCTION score_paragraphs AS 'io.spikestream.sql.ScoreParagraphs' "
                + "USING JAR '" + jar.toAbsolutePath() + "';\nSET 'sql-client.execution.result-mode' = 'TABLEAU';\n"
                + (cluster == null ? "SET 'table.dml-sync' = 'true';\n" : ""));
        // the client's own log (Flink's distribution sends it to log/ too): the console keeps the client's answers
        log = dir.resolve("sql-client.log");
        Path log4j = Files.writeString(dir.resolve("log4j2.properties"), "rootLogger.level = INFO\nrootLogger.appenderRef.file.ref = file\n"
                + "appender.file.type = File\nappender.file.name = file\nappender.file.fileName = " + log.toAbsolutePath() + "\n"
                + "appender.file.layout.type = PatternLayout\nappender.file.layout.pattern = %d{ISO8601} %-5p %c - %m%n\n");
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || (a.startsWith("-D") && !a.startsWith("-Dlog4j")) || a.startsWith("-X")) {
                command.add(a);
            }
        }
        command.add("-Dlog4j.configurationFile=" + log4j.toAbsolutePath());
        command.addAll(List.of("-cp", client.resolve("lib").resolve("*").toString(), "org.apache.flink.table.client.SqlClient", "embedded",
                "-i", init.toString()));
        try (var jars = Files.list(client.resolve("connectors"))) {
            for (Path j : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                command.addAll(List.of("--jar", j.toAbsolutePath().toString()));
            }
        }
    }

    /** The client's log file. */
    public Path log() {
        return log;
    }

    /** A directory of this client's files, for scripts. */
    public Path dir() {
        return dir;
    }

    /** Deletes this client's files (its configuration, scripts and log): after a run that needs no looking into. */
    public void deleteFiles() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Interactive: the client on this terminal until the user quits. */
    public int interactive() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("FLINK_CONF_DIR", dir.toString());
        return pb.start().waitFor();
    }

    /**
     * Runs the statements of {@code script}, every line the client prints to {@code output}; 0 when they all
     * succeeded, 1 when one failed (the client's own exit code when it failed as a whole).
     */
    public int run(Path script, Consumer<String> output) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("-f: no file " + script);
        }
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("-f", script.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("FLINK_CONF_DIR", dir.toString());
        Process p = pb.start();
        boolean failed = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.accept(line);
                failed |= line.contains(FAILED);
            }
        }
        int code = p.waitFor();
        return code != 0 ? code : failed ? 1 : 0;
    }

    private static String configuration(String cluster) {
        if (cluster == null) {
            return "execution.target: local\nrest.port: 0\n";
        }
        int colon = cluster.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--cluster needs HOST:PORT, got " + cluster);
        }
        return "execution.target: remote\nrest.address: " + cluster.substring(0, colon) + "\nrest.port: " + cluster.substring(colon + 1) + "\n";
    }
}
