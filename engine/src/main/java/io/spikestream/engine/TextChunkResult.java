package io.spikestream.engine;

/**
 * Advancing a document by a chunk of text: the tokens the chunk completed, with where they came from.
 *
 * @param result    log-probabilities and final hidden vector of the tokens (possibly none: a chunk without
 *                  a completed word is held back entirely)
 * @param charStart per token, the offset of its first character in the chunk text; negative when the token
 *                  began in text held back from the previous chunk
 * @param charEnd   per token, the offset after its last character in the chunk text
 */
public record TextChunkResult(ChunkResult result, int[] charStart, int[] charEnd) {
}
