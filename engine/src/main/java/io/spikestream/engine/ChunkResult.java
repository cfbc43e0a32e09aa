package io.spikestream.engine;

import io.spikestream.engine.spiking.SpikeStatistics;

/**
 * What advancing a document by a chunk of tokens returns.
 *
 * @param startPosition document position of the chunk's first token
 * @param tokens        the chunk's token ids
 * @param logProbs      per token, log p(token | all tokens before it in the document); NaN for the
 *                      document's very first token, which has no context
 * @param lastHidden    final normalized hidden vector after the chunk's last token (H floats)
 * @param spikes        the chunk's spike statistics (W8ASpike models; null for float models)
 */
public record ChunkResult(long startPosition, int[] tokens, double[] logProbs, float[] lastHidden, SpikeStatistics spikes) {

    /** A result without spike statistics (a float model). */
    public ChunkResult(long startPosition, int[] tokens, double[] logProbs, float[] lastHidden) {
        this(startPosition, tokens, logProbs, lastHidden, null);
    }

    /** Surprisal (−log p, in nats) of token i. */
    public double surprisal(int i) {
        return -logProbs[i];
    }

    public int size() {
        return tokens.length;
    }
}
