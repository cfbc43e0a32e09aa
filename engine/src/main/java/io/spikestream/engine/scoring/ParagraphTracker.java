package io.spikestream.engine.scoring;

import java.util.ArrayList;
import java.util.List;

/**
 * Paragraphs from a document's lines as they arrive: the lines between blank (whitespace-only) lines, with a
 * Markdown heading ({@code # …} to {@code ###### …}, up to three spaces before) a paragraph of its own. The
 * paragraph still open between two pieces of text is an {@link OpenParagraph}, so the paragraphs are the same
 * for any cut of the text into records or chunks.
 */
public final class ParagraphTracker {
    private ParagraphTracker() {
    }

    /** The paragraphs some lines closed, and the one left open (null: none). */
    public record Step(List<SegmentScore> closed, OpenParagraph open) {
    }

    /** Adds the next lines of a document (as line segments, in order) to the paragraph open before them. */
    public static Step add(OpenParagraph open, List<SegmentScore> lines) {
        List<SegmentScore> closed = new ArrayList<>();
        for (SegmentScore l : lines) {
            boolean blank = l.text().length() < LineScore.MAX_TEXT_CHARS && l.text().isBlank();
            boolean heading = !blank && isHeading(l.text());
            if (open != null && (blank || heading)) {
                closed.add(open.close());
                open = null;
            }
            if (blank) {
                continue;
            }
            open = open == null ? OpenParagraph.of(l) : open.with(l);
            if (heading) {
                closed.add(open.close());
                open = null;
            }
        }
        return new Step(closed, open);
    }

    /** The document ended: its open paragraph, if any, is complete. */
    public static List<SegmentScore> close(OpenParagraph open) {
        return open == null ? List.of() : List.of(open.close());
    }

    /** A Markdown ATX heading: up to three spaces, one to six '#', then a space, a tab or the end of the line. */
    public static boolean isHeading(String line) {
        int i = 0;
        while (i < line.length() && i < 3 && line.charAt(i) == ' ') {
            i++;
        }
        int hashes = 0;
        while (i < line.length() && line.charAt(i) == '#') {
            i++;
            hashes++;
        }
        return hashes >= 1 && hashes <= 6 && (i == line.length() || line.charAt(i) == ' ' || line.charAt(i) == '\t');
    }
}
