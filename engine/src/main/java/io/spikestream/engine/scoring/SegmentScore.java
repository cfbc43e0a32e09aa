package io.spikestream.engine.scoring;

/**
 * The surprisal of a segment of a document: a line, or a paragraph made of consecutive lines.
 *
 * @param kind       line or paragraph
 * @param firstLine  0-based number of its first line
 * @param lastLine   of its last line (== firstLine for a line)
 * @param tokenStart document position of its first token
 * @param tokenEnd   after its last token
 * @param scored     tokens with a surprisal
 * @param sum        their summed surprisal, nats
 * @param background their summed surprisal under the calibration's background (unigram) model, nats; NaN when
 *                   it was not computed
 * @param max        their largest surprisal
 * @param text       its text (lines joined by newlines), cut at {@value #MAX_TEXT_CHARS} chars
 */
public record SegmentScore(SegmentKind kind, long firstLine, long lastLine, long tokenStart, long tokenEnd, int scored, double sum,
                           double background, double max, String text) {
    /** Longest text kept. */
    public static final int MAX_TEXT_CHARS = 4096;

    /** A line as a segment, with its background sum (NaN when not computed). */
    public static SegmentScore of(LineScore l, double background) {
        return new SegmentScore(SegmentKind.LINE, l.line(), l.line(), l.tokenStart(), l.tokenEnd(), l.isScored() ? l.scored() : 0,
                l.isScored() ? l.sum() : 0, l.isScored() ? background : 0, l.isScored() ? l.max() : 0, l.text());
    }

    public boolean isScored() {
        return scored > 0;
    }

    /** Mean surprisal, nats/token; NaN without a score. */
    public double mean() {
        return isScored() ? sum / scored : Double.NaN;
    }

    /**
     * Mean contextual surprisal: surprisal minus background surprisal per token, −ln p(token | document) +
     * ln p(token). High where the document made a token less likely than it is in general text, so rare names,
     * numbers and paths, rare anywhere, are not what makes a paragraph stand out.
     */
    public double contextualMean() {
        return isScored() ? (sum - background) / scored : Double.NaN;
    }
}
