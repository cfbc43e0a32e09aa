package io.spikestream.engine.generate;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from logits: greedy (lowest id among equal maxima), or temperature + top-p from a
 * {@link Random} seeded by the request (its algorithm is fixed by the Java specification, so a request
 * gives the same tokens on every JVM).
 */
public final class Sampler {
    private final SamplingParams params;
    private final Random random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new Random(params.seed());
    }

    public int next(float[] logits) {
        if (params.isGreedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = StrictMath.exp((logits[i] - max) / params.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double kept = 0;
        int count = 0;
        while (count < n && (count == 0 || kept < params.topP() * sum)) {
            kept += p[order[count++]];
        }
        double u = random.nextDouble() * kept;
        double acc = 0;
        for (int i = 0; i < count; i++) {
            acc += p[order[i]];
            if (u < acc) {
                return order[i];
            }
        }
        return order[count - 1];
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
