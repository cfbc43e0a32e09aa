package io.spikestream.cli.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the Flink jars of a local standalone cluster are, and the job jar: both are built by Maven
 * ({@code flink-cluster/target/lib}, {@code kafka-job/target/spikestream-job.jar}) in the SpikeStream
 * checkout that {@code ./spikestream} runs from ({@code -Dspikestream.home}), or the one above the working directory.
 */
public record FlinkHome(Path root) {
    public static FlinkHome locate() {
        String home = System.getProperty("spikestream.home");
        if (home != null) {
            return new FlinkHome(Path.of(home));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("flink-cluster").resolve("pom.xml"))) {
                return new FlinkHome(p);
            }
        }
        throw new IllegalStateException("cannot find the SpikeStream checkout (run ./spikestream, or set -Dspikestream.home)");
    }

    /** Flink's runtime, client, RPC, RocksDB and logging jars: the cluster's classpath. */
    public Path lib() {
        Path lib = root.resolve("flink-cluster").resolve("target").resolve("lib");
        if (!Files.isRegularFile(lib.resolve("flink-runtime-" + org.apache.flink.runtime.util.EnvironmentInformation.getVersion() + ".jar"))) {
            throw new IllegalStateException("no Flink jars in " + lib + ": build them with `mvn -B -DskipTests package`");
        }
        return lib;
    }

    /** The job jar that Flink's client submits. */
    public Path jobJar() {
        Path jar = root.resolve("kafka-job").resolve("target").resolve("spikestream-job.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no job jar at " + jar + ": build it with `mvn -B -DskipTests package`");
        }
        return jar;
    }

    /** The classpath of a cluster process: every jar of {@link #lib()}. */
    public String classpath() {
        return lib().resolve("*").toString();
    }
}
