package io.spikestream.engine.tokenizer;

/**
 * A token added to the vocabulary and matched as a whole in the raw text before pre-tokenization.
 *
 * @param content    its text
 * @param id         its id
 * @param special    a control token (recognized only in {@link TokenizerMode#TEMPLATE})
 * @param lstrip     absorbs whitespace on its left
 * @param rstrip     absorbs whitespace on its right
 * @param singleWord matches only as a whole word
 */
public record AddedToken(String content, int id, boolean special, boolean lstrip, boolean rstrip, boolean singleWord) {
    public AddedToken {
        if (content.isEmpty()) {
            throw new TokenizerException("added token " + id + " has empty content");
        }
    }
}
