package io.spikestream.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the team's reference material ({@code ../shared}: fixtures and the SpikingBrain-7B tokenizer).
 * Tests only: product code never reads it. A missing folder fails loudly instead of skipping tests.
 */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    /** The shared folder: {@code -Dspikestream.shared}, {@code $SPIKESTREAM_SHARED}, or {@code ../shared}. */
    public static Path root() {
        String[] candidates = {
            System.getProperty("spikestream.shared"),
            System.getenv("SPIKESTREAM_SHARED"),
            "../shared",
            "../../shared",
        };
        for (String c : candidates) {
            if (c != null && Files.isDirectory(Path.of(c, "fixtures"))) {
                return Path.of(c).toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("the shared reference folder was not found: set -Dspikestream.shared=DIR "
                + "(looked at -Dspikestream.shared, $SPIKESTREAM_SHARED, ../shared, ../../shared)");
    }

    public static Path fixture(String name) {
        return root().resolve("fixtures").resolve(name);
    }

    /** {@code tiny-gla-swa-f32}: single-file float32 checkpoint, sliding window 6. */
    public static Path tinyF32() {
        return fixture("tiny-gla-swa-f32");
    }

    /** {@code tiny-gla-swa-bf16-sharded}: two bf16 shards with an index, sliding window 7. */
    public static Path tinyBf16Sharded() {
        return fixture("tiny-gla-swa-bf16-sharded");
    }

    /** The real SpikingBrain-7B config.json and Qwen2 tokenizer files (no weights). */
    public static Path spikingBrain7b() {
        return root().resolve("models").resolve("spikingbrain-7b");
    }

    public static Path tokenizerFixtures() {
        return fixture("tokenizer");
    }
}
