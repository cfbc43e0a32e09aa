package io.spikestream.engine.scoring;

import java.util.ArrayList;
import java.util.List;

/** The segments of a whole document: its lines, or its paragraphs ({@link ParagraphTracker}). */
public final class Segments {
    private Segments() {
    }

    /** The segments of {@code kind} made of these lines (all the lines of one document, in order). */
    public static List<SegmentScore> of(SegmentKind kind, List<SegmentScore> lines) {
        return kind == SegmentKind.LINE ? lines : paragraphs(lines);
    }

    public static List<SegmentScore> paragraphs(List<SegmentScore> lines) {
        ParagraphTracker.Step s = ParagraphTracker.add(null, lines);
        List<SegmentScore> out = new ArrayList<>(s.closed());
        out.addAll(ParagraphTracker.close(s.open()));
        return out;
    }
}
