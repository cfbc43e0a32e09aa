package io.spikestream.operator.process;

/**
 * A chunk or record would take its document past {@code --max-document-tokens}: thrown before the model reads
 * it, so the document's state is what it was; {@code applied} of the elements given were applied before it.
 */
final class DocumentTooLongException extends Exception {
    private final int applied;

    DocumentTooLongException(long tokens, long more, long limit, int applied) {
        super("the document would grow to " + (tokens + more) + " tokens (" + tokens + " read, " + more
                + " more in this element), past --max-document-tokens " + limit);
        this.applied = applied;
    }

    int applied() {
        return applied;
    }
}
