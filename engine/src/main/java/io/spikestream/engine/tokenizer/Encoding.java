package io.spikestream.engine.tokenizer;

/**
 * Token ids with the characters each came from.
 *
 * @param ids   token ids
 * @param start per token, the offset of its first character in the (NFC-normalized) text
 * @param end   per token, the offset after its last character; a token holding part of a multi-byte
 *              character covers that whole character
 */
public record Encoding(int[] ids, int[] start, int[] end) {
    public int size() {
        return ids.length;
    }
}
