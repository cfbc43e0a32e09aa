package io.spikestream.engine.scoring;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.TextChunkResult;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a chunk's scored tokens into lines. A line ends with the token that holds its newline; the tokens that
 * begin in a line count towards it. The line still open at the end of a chunk is carried in an {@link OpenLine},
 * so the lines of a document are the same for any chunking of its text.
 */
public final class LineTracker {
    private LineTracker() {
    }

    /** The lines a chunk completed, and the line left open after it. */
    public record Lines(List<LineScore> closed, OpenLine open) {
    }

    /**
     * @param open  the line open before the chunk
     * @param tail  text held back by the streaming tokenizer before the chunk (its tokens begin at negative
     *              offsets of {@code r})
     * @param text  the chunk's text
     * @param r     the tokens the chunk completed, with their character ranges
     * @param last  the document ends here: the open line is closed too (when it has text or tokens)
     */
    public static Lines track(OpenLine open, String tail, String text, TextChunkResult r, boolean last) {
        String v = tail.isEmpty() ? text : tail + text;
        int t = tail.length();
        ChunkResult c = r.result();
        List<LineScore> closed = new ArrayList<>();
        Builder line = new Builder(open, 0);
        int consumed = 0; // chars of v already assigned to a line: a character split over two tokens counts once
        for (int i = 0; i < c.size(); i++) {
            long position = c.startPosition() + i;
            line.add(position, c.logProbs()[i]);
            int end = Math.min(v.length(), r.charEnd()[i] + t);
            for (int k = Math.max(consumed, r.charStart()[i] + t); k < end; k++) {
                char ch = v.charAt(k);
                if (ch == '\n') {
                    closed.add(line.close(k - t));
                    line = new Builder(OpenLine.start(line.line + 1), Math.max(0, k + 1 - t));
                    line.tokenStart = position + 1;
                } else {
                    line.append(ch);
                }
            }
            consumed = Math.max(consumed, end);
        }
        if (last && (line.tokens > 0 || !line.text.isEmpty())) {
            closed.add(line.close(text.length()));
            line = new Builder(OpenLine.start(line.line + 1), text.length());
        }
        return new Lines(closed, line.open());
    }

    private static final class Builder {
        final long line;
        final int charStart;
        int tokens;
        long tokenStart;
        long tokenEnd;
        int scored;
        double sum;
        double max;
        final StringBuilder text;

        Builder(OpenLine o, int charStart) {
            this.line = o.line();
            this.charStart = charStart;
            this.tokens = o.tokens();
            this.tokenStart = o.tokenStart();
            this.tokenEnd = o.tokenStart() + o.tokens();
            this.scored = o.scored();
            this.sum = o.sum();
            this.max = o.max();
            this.text = new StringBuilder(o.text());
        }

        void add(long position, double logProb) {
            if (tokens == 0) {
                tokenStart = position;
            }
            tokens++;
            tokenEnd = position + 1;
            if (!Double.isNaN(logProb)) {
                scored++;
                sum -= logProb;
                max = Math.max(max, -logProb);
            }
        }

        void append(char ch) {
            if (text.length() < LineScore.MAX_TEXT_CHARS) {
                text.append(ch);
            }
        }

        LineScore close(int charEnd) {
            return new LineScore(line, charStart, Math.max(charStart, charEnd), tokenStart, tokens == 0 ? tokenStart : tokenEnd,
                    scored, sum, max, text.toString());
        }

        OpenLine open() {
            return new OpenLine(line, tokens, tokenStart, scored, sum, max, text.toString());
        }
    }
}
