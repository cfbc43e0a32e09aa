package io.spikestream.engine.scoring;

/**
 * A paragraph not yet ended by a blank line or a heading: what a stream of records or chunks carries so that a
 * document's paragraphs do not depend on how its text was cut.
 *
 * @param firstLine  its first line
 * @param lastLine   its last line so far
 * @param tokenStart document position of its first token
 * @param tokenEnd   after its last token so far
 * @param scored     scored tokens so far
 * @param sum        their summed surprisal
 * @param background their summed background surprisal (NaN when not computed)
 * @param max        their largest surprisal
 * @param text       its lines joined by newlines, cut at {@link SegmentScore#MAX_TEXT_CHARS} chars
 */
public record OpenParagraph(long firstLine, long lastLine, long tokenStart, long tokenEnd, int scored, double sum, double background,
                            double max, String text) {
    /** The paragraph that begins with {@code line}. */
    static OpenParagraph of(SegmentScore line) {
        return new OpenParagraph(line.firstLine(), line.lastLine(), line.tokenStart(), line.tokenEnd(), line.scored(), line.sum(),
                line.isScored() ? line.background() : 0, line.max(), cut(line.text()));
    }

    /** With {@code line} added at its end. */
    OpenParagraph with(SegmentScore line) {
        boolean s = line.isScored();
        String t = text.length() >= SegmentScore.MAX_TEXT_CHARS ? text : cut(text + "\n" + line.text());
        return new OpenParagraph(firstLine, line.lastLine(), tokenStart, line.tokenEnd(), scored + line.scored(), sum + (s ? line.sum() : 0),
                background + (s ? line.background() : 0), !s ? max : scored == 0 ? line.max() : Math.max(max, line.max()), t);
    }

    SegmentScore close() {
        return new SegmentScore(SegmentKind.PARAGRAPH, firstLine, lastLine, tokenStart, tokenEnd, scored, sum, background, max, text);
    }

    private static String cut(String s) {
        return s.length() <= SegmentScore.MAX_TEXT_CHARS ? s : s.substring(0, SegmentScore.MAX_TEXT_CHARS);
    }
}
