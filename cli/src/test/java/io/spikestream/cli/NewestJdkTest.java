package io.spikestream.cli;

import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine on the newest installed JDK (its multi-release classes read mapped memory through MemorySegment)
 * gives the bits it gives on this JDK: {@code logits} in a child JVM of the newest JDK against this one.
 */
class NewestJdkTest {

    /** The newest JDK >= 22 under /usr/lib/jvm, if any. */
    static Optional<Path> newestJdk() throws IOException {
        Path jvm = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvm)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(jvm)) {
            return dirs.filter(d -> Files.isExecutable(d.resolve("bin/java")) && Files.isRegularFile(d.resolve("release")))
                    .filter(d -> major(d) >= 22)
                    .max((a, b) -> Integer.compare(major(a), major(b)));
        }
    }

    private static int major(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gla-swa-bf16-sharded", "tiny-w8aspike-f32"})
    void logitsAreTheSameBitsOnTheNewestJdk(String fixture) throws Exception {
        Optional<Path> jdk = newestJdk();
        Assumptions.assumeTrue(jdk.isPresent(), "no JDK 22+ under /usr/lib/jvm");
        String cp = System.getProperty("java.class.path");
        boolean engineJar = Arrays.stream(cp.split(File.pathSeparator)).anyMatch(e -> e.contains("spikestream-engine") && e.endsWith(".jar")
                && !e.contains("tests"));
        Assumptions.assumeTrue(engineJar, "the engine is on the class path as classes, not as its multi-release jar");
        Path dir = TestData.fixture(fixture);
        String tokens = Arrays.stream(ExpectedOutputs.read(dir).tokens()).mapToObj(Integer::toString).collect(Collectors.joining(","));
        CliRun here = CliRun.run("", "logits", "--model", dir.toString(), "--tokens", tokens, "--chunk", "5");
        assertThat(here.exitCode()).as(here.err()).isZero();
        List<String> cmd = new ArrayList<>(List.of(jdk.get().resolve("bin/java").toString(), "--add-modules", "jdk.incubator.vector",
                "-cp", cp, "io.spikestream.cli.Main", "logits", "--model", dir.toString(), "--tokens", tokens, "--chunk", "5"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo(here.out());
    }
}
