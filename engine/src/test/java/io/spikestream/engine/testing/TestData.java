package io.spikestream.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the repository's test data ({@code testdata/}: reference fixtures and the SpikingBrain-7B tokenizer
 * files; see {@code testdata/README.md} for where they came from). Tests only: product code never reads it.
 * The folder is found by walking up from the working directory (a module folder under Maven), so a fresh
 * clone needs nothing beside it.
 */
public final class TestData {
    /** The file that marks the folder (and says what it holds). */
    private static final String MARKER = "README.md";

    private TestData() {
    }

    /** The repository's {@code testdata} folder. */
    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata");
            if (Files.isRegularFile(candidate.resolve(MARKER)) && Files.isDirectory(candidate.resolve("fixtures"))) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("the repository's testdata folder was not found above " + Path.of("").toAbsolutePath());
    }

    /** The repository root (the folder holding {@code testdata}). */
    public static Path repositoryRoot() {
        return root().getParent();
    }

    public static Path fixture(String name) {
        Path dir = root().resolve("fixtures").resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no fixture '" + name + "' in " + root().resolve("fixtures"));
        }
        return dir;
    }

    /** {@code tiny-gla-swa-f32}: single-file float32 checkpoint, sliding window 6. */
    public static Path tinyF32() {
        return fixture("tiny-gla-swa-f32");
    }

    /** {@code tiny-gla-swa-bf16-sharded}: two bf16 shards with an index, sliding window 7. */
    public static Path tinyBf16Sharded() {
        return fixture("tiny-gla-swa-bf16-sharded");
    }

    /** {@code tiny-w8aspike-f32}: a W8ASpike checkpoint (F32 weights, scales in groups of 128), window 6. */
    public static Path tinyW8ASpike() {
        return fixture("tiny-w8aspike-f32");
    }

    /** The real SpikingBrain-7B config.json and Qwen2 tokenizer files (no weights). */
    public static Path spikingBrain7b() {
        return root().resolve("models").resolve("spikingbrain-7b");
    }

    public static Path tokenizerFixtures() {
        return fixture("tokenizer");
    }
}
