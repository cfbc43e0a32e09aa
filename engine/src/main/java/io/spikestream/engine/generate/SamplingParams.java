package io.spikestream.engine.generate;

/**
 * How to pick each generated token.
 *
 * @param maxTokens   upper bound on generated tokens (≥ 1)
 * @param temperature 0 for greedy decoding; otherwise logits are divided by it before the softmax
 * @param topP        nucleus sampling: sample among the most likely tokens whose probabilities sum to topP
 * @param seed        seeds the sampler, so the same request always produces the same tokens
 */
public record SamplingParams(int maxTokens, double temperature, double topP, long seed) {
    public SamplingParams {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(maxTokens, 0, 1, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
