package io.spikestream.engine.scoring;

/**
 * A line whose newline has not been read yet: what a stream of chunks carries from one chunk to the next so
 * that per-line scores do not depend on where the chunks were cut.
 *
 * @param line       0-based line number in the document
 * @param tokens     tokens that began in the line so far
 * @param tokenStart document position of its first token (meaningful when {@code tokens > 0})
 * @param scored     tokens with a surprisal
 * @param sum        their summed surprisal
 * @param max        their largest surprisal (0 when none)
 * @param text       its text so far, cut at {@link LineScore#MAX_TEXT_CHARS} chars
 */
public record OpenLine(long line, int tokens, long tokenStart, int scored, double sum, double max, String text) {

    /** The document's first line, before any token. */
    public static final OpenLine FIRST = new OpenLine(0, 0, 0, 0, 0, 0, "");

    /** An empty line numbered {@code line}. */
    public static OpenLine start(long line) {
        return new OpenLine(line, 0, 0, 0, 0, 0, "");
    }
}
