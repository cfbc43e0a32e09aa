package io.spikestream.engine.scoring;

/**
 * The surprisal of one line of a document: its tokens are those that begin in it (a token that straddles the
 * line's newline, such as {@code "]\n"}, belongs to the line it starts in).
 *
 * @param line       0-based line number in the document
 * @param charStart  where the line's text starts in the text of the chunk or record that completed it (UTF-16
 *                   chars); 0 when it began in an earlier chunk
 * @param charEnd    where it ends there (the position of its newline, or the end of the text)
 * @param tokenStart document position of its first token
 * @param tokenEnd   document position after its last token ({@code == tokenStart} for a line without tokens)
 * @param scored     its tokens with a surprisal (all but the document's very first token; none in a whitespace-only line)
 * @param sum        their summed surprisal, nats
 * @param max        the largest of them (0 when none); a score only when {@link #isScored()}
 * @param text       the line without its newline, cut at {@value #MAX_TEXT_CHARS} chars
 */
public record LineScore(long line, int charStart, int charEnd, long tokenStart, long tokenEnd, int scored, double sum,
                        double max, String text) {
    /** Longest line text kept; longer lines are still scored over all their tokens. */
    public static final int MAX_TEXT_CHARS = 1024;

    /** Mean surprisal over the line's scored tokens (nats/token); NaN for a line without a score. */
    public double mean() {
        return isScored() ? sum / scored : Double.NaN;
    }

    /**
     * Whether the line has a score: a token with a surprisal, and text that is not whitespace only. A blank
     * line's lone newline is not what the model saw in training (there it is part of a "\n\n" token), and
     * nothing in it is worth ranking or an alert; its tokens still advance the document and count in
     * {@link #sum()} (a perplexity).
     */
    public boolean isScored() {
        return scored > 0 && !isBlank();
    }

    /** Whitespace only (judged on the kept text: a line of more than {@value #MAX_TEXT_CHARS} blanks counts as text). */
    public boolean isBlank() {
        return text.length() < MAX_TEXT_CHARS && text.isBlank();
    }
}
