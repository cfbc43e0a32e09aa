package io.spikestream.cli.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code ./spikestream kafka} as its own process (the test JVM's classpath): started, killed with SIGKILL, restarted on its data. */
final class BrokerProcess implements AutoCloseable {
    private final int port;
    private final Path dataDir;
    private final Path log;
    private final List<String> options;
    private Process process;

    /** {@code options}: more options of {@code kafka} ({@code --secure}, ...). */
    BrokerProcess(int port, Path dataDir, Path log, String... options) {
        this.port = port;
        this.dataDir = dataDir;
        this.log = log;
        this.options = List.of(options);
    }

    String bootstrap() {
        return "localhost:" + port;
    }

    void start() throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        c.addAll(ClusterConfig.JVM_OPTIONS);
        c.addAll(List.of("-Xmx768m", "-cp", System.getProperty("java.class.path"), "io.spikestream.cli.Main", "kafka",
                "--port", Integer.toString(port), "--dir", dataDir.toString()));
        c.addAll(options);
        Files.createDirectories(log.getParent());
        int before = readyLines();
        process = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (readyLines() == before) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the broker exited:\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not start in 60 s:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    /** How many times the log says the broker is ready (it is appended to across restarts). */
    private int readyLines() throws IOException {
        return Files.exists(log) ? Files.readString(log).split("Kafka ready", -1).length - 1 : 0;
    }

    /** {@code kill -9}. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
