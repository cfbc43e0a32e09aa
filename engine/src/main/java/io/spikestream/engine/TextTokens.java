package io.spikestream.engine;

/**
 * A chunk of a document's text tokenized ({@link Engine#tokenizeText}), the model not run yet.
 *
 * @param ids       the tokens the chunk completed
 * @param charStart per token, the offset of its first character in the chunk text; negative when the token
 *                  began in text held back from the previous chunk
 * @param charEnd   per token, the offset after its last character in the chunk text
 * @param tail      the text held back for the next chunk (empty after the last)
 */
public record TextTokens(int[] ids, int[] charStart, int[] charEnd, String tail) {
}
