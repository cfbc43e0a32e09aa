package io.spikestream.operator;

import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the document operator, each validated here, once. How the input is ordered and read, and when a
 * line alerts, are the {@link DocumentScoring} builder's.
 *
 * @param modelDir          model directory (config.json, safetensors, tokenizer files), on every TaskManager
 * @param engineThreads     kernel threads per TaskManager JVM (the engine is shared by the slots)
 * @param pageSize          ring slots per stored key/value page: a chunk of n tokens rewrites ≈ n/pageSize + 1 pages per layer
 * @param maxBufferedChunks early chunks held while waiting for a missing seq; one more rejects the document
 * @param maxBufferedChars  total text of early chunks held; more rejects the document
 * @param gapTimeout        how long a missing seq may stay missing before the document is rejected
 * @param stateTtl          documents without chunks or queries for this long are dropped (zero: never)
 * @param endGrace          how long an ended document stays queryable (zero: cleared at its END record)
 * @param maxChunkChars     a longer chunk is rejected with the document (bounds memory and latency)
 * @param topSpans          most surprising tokens reported per chunk
 * @param embedChunks       whether CHUNK records carry the final hidden vector as an embedding
 * @param cachedDocuments   decoded states kept in memory per operator instance (a cache of keyed state)
 * @param maxAnswerTokens   upper bound on generated tokens per query
 * @param maxDocumentTokens a document that would grow past it is rejected ({@link DocumentTokenLimit})
 */
public record OperatorOptions(
        String modelDir,
        int engineThreads,
        int pageSize,
        int maxBufferedChunks,
        long maxBufferedChars,
        Duration gapTimeout,
        Duration stateTtl,
        Duration endGrace,
        int maxChunkChars,
        int topSpans,
        boolean embedChunks,
        int cachedDocuments,
        int maxAnswerTokens,
        DocumentTokenLimit maxDocumentTokens) implements Serializable {

    public OperatorOptions {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("a model directory is required");
        }
        positive("engineThreads", engineThreads);
        positive("pageSize", pageSize);
        positive("maxBufferedChunks", maxBufferedChunks);
        positive("maxChunkChars", maxChunkChars);
        positive("cachedDocuments", cachedDocuments);
        positive("maxAnswerTokens", maxAnswerTokens);
        if (maxDocumentTokens == null) {
            throw new IllegalArgumentException("maxDocumentTokens is required (DocumentTokenLimit.AUTO by default)");
        }
        if (topSpans < 0 || maxBufferedChars < 1) {
            throw new IllegalArgumentException("topSpans must be >= 0 and maxBufferedChars >= 1");
        }
        if (gapTimeout.isNegative() || gapTimeout.isZero() || stateTtl.isNegative() || endGrace.isNegative()) {
            throw new IllegalArgumentException("gapTimeout must be positive; stateTtl and endGrace must not be negative");
        }
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + v);
        }
    }

    /** Defaults for a model directory. */
    public static OperatorOptions defaults(String modelDir) {
        return new OperatorOptions(modelDir, Runtime.getRuntime().availableProcessors(), 64, 256, 16L << 20,
                Duration.ofMinutes(10), Duration.ofDays(7), Duration.ofMinutes(10), 1 << 20, 5, false, 8, 256, DocumentTokenLimit.AUTO);
    }

    public OperatorOptions withPageSize(int v) {
        return new OperatorOptions(modelDir, engineThreads, v, maxBufferedChunks, maxBufferedChars, gapTimeout, stateTtl, endGrace,
                maxChunkChars, topSpans, embedChunks, cachedDocuments, maxAnswerTokens, maxDocumentTokens);
    }

    public OperatorOptions withBuffering(int chunks, long chars, Duration timeout) {
        return new OperatorOptions(modelDir, engineThreads, pageSize, chunks, chars, timeout, stateTtl, endGrace,
                maxChunkChars, topSpans, embedChunks, cachedDocuments, maxAnswerTokens, maxDocumentTokens);
    }

    public OperatorOptions withLifetimes(Duration ttl, Duration grace) {
        return new OperatorOptions(modelDir, engineThreads, pageSize, maxBufferedChunks, maxBufferedChars, gapTimeout, ttl, grace,
                maxChunkChars, topSpans, embedChunks, cachedDocuments, maxAnswerTokens, maxDocumentTokens);
    }

    public OperatorOptions withLimits(int chunkChars, int spans, boolean embed) {
        return new OperatorOptions(modelDir, engineThreads, pageSize, maxBufferedChunks, maxBufferedChars, gapTimeout, stateTtl, endGrace,
                chunkChars, spans, embed, cachedDocuments, maxAnswerTokens, maxDocumentTokens);
    }

    public OperatorOptions withMaxDocumentTokens(DocumentTokenLimit limit) {
        return new OperatorOptions(modelDir, engineThreads, pageSize, maxBufferedChunks, maxBufferedChars, gapTimeout, stateTtl, endGrace,
                maxChunkChars, topSpans, embedChunks, cachedDocuments, maxAnswerTokens, limit);
    }

    public OperatorOptions withEngineThreads(int threads) {
        return new OperatorOptions(modelDir, threads, pageSize, maxBufferedChunks, maxBufferedChars, gapTimeout, stateTtl, endGrace,
                maxChunkChars, topSpans, embedChunks, cachedDocuments, maxAnswerTokens, maxDocumentTokens);
    }
}
