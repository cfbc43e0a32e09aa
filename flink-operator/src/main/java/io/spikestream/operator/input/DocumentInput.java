package io.spikestream.operator.input;

/**
 * One element of a document, as the operator applies it: a {@link Chunk} of a document sent in numbered
 * pieces, or a {@link Record} of one read in arrival order. Made from the user's elements by {@link InputReader}.
 */
public sealed interface DocumentInput permits Chunk, Record {
    String docId();

    String text();
}
