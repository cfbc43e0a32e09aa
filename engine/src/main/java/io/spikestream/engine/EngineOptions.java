package io.spikestream.engine;

/**
 * @param threads kernel threads; results are bit-identical for any value
 */
public record EngineOptions(int threads) {
    public EngineOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Runtime.getRuntime().availableProcessors());
    }
}
