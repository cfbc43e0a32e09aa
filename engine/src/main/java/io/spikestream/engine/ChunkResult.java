package io.spikestream.engine;

/**
 * What advancing a document by a chunk of tokens returns.
 *
 * @param startPosition document position of the chunk's first token
 * @param tokens        the chunk's token ids
 * @param logProbs      per token, log p(token | all tokens before it in the document); NaN for the
 *                      document's very first token, which has no context
 * @param lastHidden    final normalized hidden vector after the chunk's last token (H floats)
 */
public record ChunkResult(long startPosition, int[] tokens, double[] logProbs, float[] lastHidden) {

    /** Surprisal (−log p, in nats) of token i. */
    public double surprisal(int i) {
        return -logProbs[i];
    }

    public int size() {
        return tokens.length;
    }
}
