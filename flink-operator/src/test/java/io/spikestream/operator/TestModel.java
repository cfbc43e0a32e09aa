package io.spikestream.operator;

import io.spikestream.engine.testing.TestData;
import io.spikestream.engine.testing.TinyTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny bf16 fixture model with a tiny tokenizer, so the operator can read text. */
final class TestModel {
    static final String CORPUS = """
            2026-11-01T00:00:00.000Z INFO  [auth-0] req=523938499 latency_ms=667 status=200 user=u594
            2026-11-02T01:01:07.001Z WARN  [payments-2] upstream ledger timed out after 30000 ms
            WHEREAS the Licensor wishes to grant, and the Licensee wishes to obtain, a non-exclusive licence (the "Licence").
            Either Party may terminate this Agreement upon thirty (30) days' written notice.
            """;
    private static Path dir;
    private static Path spiking;

    private TestModel() {
    }

    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = TinyTokenizer.modelWithTokenizer(TestData.tinyBf16Sharded(), Files.createTempDirectory("operator-model"),
                        CORPUS.repeat(4));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    private static Path moe;

    /** The spikingbrain_moe fixture (a full-attention layer: its state grows) with the same tiny tokenizer. */
    static synchronized Path moeDir() {
        if (moe == null) {
            try {
                moe = TinyTokenizer.modelWithTokenizer(TestData.fixture("tiny-spikingbrain-moe-f32"), Files.createTempDirectory("operator-moe"),
                        CORPUS.repeat(4));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return moe;
    }

    /** The W8ASpike fixture with the same tiny tokenizer. */
    static synchronized Path spikingDir() {
        if (spiking == null) {
            try {
                spiking = TinyTokenizer.modelWithTokenizer(TestData.tinyW8ASpike(), Files.createTempDirectory("operator-w8aspike"),
                        CORPUS.repeat(4));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return spiking;
    }
}
