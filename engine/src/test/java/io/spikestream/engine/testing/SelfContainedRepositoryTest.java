package io.spikestream.engine.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repository must pass its tests alone: no code, build file or script may reach for the team's shared
 * reference folder beside the checkout (the data the tests need is in {@code testdata/}).
 */
class SelfContainedRepositoryTest {
    /** Written in pieces so that this file does not match itself. */
    private static final List<String> FORBIDDEN = List.of(".." + "/shared", "spikestream" + ".shared", "SPIKESTREAM" + "_SHARED");
    private static final Set<String> SKIPPED_DIRS = Set.of(".git", "target", "testdata", "node_modules");

    @Test
    void nothingReferstoTheSharedFolderOutsideTheRepository() throws IOException {
        Path root = TestData.repositoryRoot();
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .filter(p -> !inSkippedDir(root, p))
                    .filter(SelfContainedRepositoryTest::isCodeOrBuild)
                    .forEach(p -> scan(root, p, hits));
        }
        assertThat(hits).as("references to a folder outside the repository").isEmpty();
    }

    @Test
    void theScanSeesTheFilesItMustCheck() {
        Path root = TestData.repositoryRoot();
        assertThat(isCodeOrBuild(root.resolve("pom.xml"))).isTrue();
        assertThat(isCodeOrBuild(root.resolve("spikestream"))).isTrue();
        assertThat(isCodeOrBuild(root.resolve(".ci").resolve("run"))).isTrue();
        assertThat(isCodeOrBuild(root.resolve("engine/src/main/java/io/spikestream/engine/Engine.java"))).isTrue();
        List<String> hits = new ArrayList<>();
        scanText("example.java", "Path.of(\"" + FORBIDDEN.get(0) + "/fixtures\")", hits);
        assertThat(hits).hasSize(1);
    }

    private static boolean inSkippedDir(Path root, Path file) {
        for (Path part : root.relativize(file)) {
            if (SKIPPED_DIRS.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isCodeOrBuild(Path p) {
        String name = p.getFileName().toString();
        String parent = p.getParent() == null ? "" : p.getParent().getFileName().toString();
        return name.endsWith(".java") || name.endsWith(".xml") || name.endsWith(".sh") || name.endsWith(".properties")
                || name.endsWith(".yml") || name.endsWith(".yaml") || name.endsWith(".py") || name.equals("spikestream")
                || name.equals("Dockerfile") || parent.equals(".ci");
    }

    private static void scan(Path root, Path file, List<String> hits) {
        try {
            // Latin-1 decodes any bytes, and the searched strings are ASCII.
            scanText(root.relativize(file).toString(), new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1), hits);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void scanText(String name, String text, List<String> hits) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            for (String f : FORBIDDEN) {
                if (lines[i].contains(f)) {
                    hits.add(name + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
    }
}
