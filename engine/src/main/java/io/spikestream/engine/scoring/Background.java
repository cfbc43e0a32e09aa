package io.spikestream.engine.scoring;

import java.util.Arrays;
import java.util.List;

/**
 * How often each token occurs in a model's training text: the background (unigram) model that contextual
 * surprisal subtracts. Counts are add-one smoothed, so a token never seen costs ln(total + vocab).
 *
 * @param counts occurrences per token id
 */
public record Background(long[] counts) {
    private static final int MAX_VOCAB = 1 << 24;

    public Background {
        if (counts.length == 0 || counts.length > MAX_VOCAB) {
            throw new IllegalArgumentException("a background model needs 1.." + MAX_VOCAB + " token counts, got " + counts.length);
        }
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("a token count is negative: " + c);
            }
        }
        counts = counts.clone();
    }

    /** The counts of {@code tokens} over a vocabulary of {@code vocab} ids. */
    public static Background count(int vocab, List<int[]> tokens) {
        long[] c = new long[vocab];
        for (int[] t : tokens) {
            for (int id : t) {
                c[id]++;
            }
        }
        return new Background(c);
    }

    /** −ln p(token) for every id. */
    public double[] surprisals() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        double denominator = (double) total + counts.length;
        double[] s = new double[counts.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = -Math.log((counts[i] + 1.0) / denominator);
        }
        return s;
    }

    public int vocabSize() {
        return counts.length;
    }

    @Override
    public long[] counts() {
        return counts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Background b && Arrays.equals(counts, b.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "Background[" + counts.length + " tokens]";
    }
}
