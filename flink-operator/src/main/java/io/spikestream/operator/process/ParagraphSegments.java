package io.spikestream.operator.process;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.LineBackground;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.ParagraphTracker;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.operator.state.ProgressState;

import java.util.ArrayList;
import java.util.List;

/**
 * With {@code --segment paragraph}: the document's paragraphs as its lines close (the lines between blank lines, a
 * Markdown heading on its own; {@link ParagraphTracker}), each with the background surprisal of its tokens when
 * the model's calibration has a background model. Owns the open paragraph and the open line's background sum in
 * {@link ProgressState}, so the paragraphs are the same for any cut of the document into records or chunks.
 */
final class ParagraphSegments {
    /** −ln p per token id of the calibration's background model; null: contextual surprisal is not computed. */
    private final double[] background;
    /** The calibration's paragraph norms, for the reported score (alerts or not); null without them. */
    private final LengthNorms norms;

    ParagraphSegments(double[] background, LengthNorms norms) {
        this.background = background;
        this.norms = norms;
    }

    /** The paragraph's length-aware score, NaN without norms. */
    double score(SegmentScore g) {
        return norms == null ? Double.NaN : norms.score(g);
    }

    /**
     * The paragraphs that {@code closed} (the lines a chunk or record completed, from the tokens of {@code r})
     * complete; with {@code last}, the document's open paragraph too — the document's last chunk, or an empty
     * record, which is no line but marks a paragraph's end in a topic of one record per line.
     */
    List<SegmentScore> add(ProgressState p, List<LineScore> closed, ChunkResult r, boolean last) {
        double[] sums = new double[closed.size()];
        if (background != null) {
            LineBackground.Sums s = LineBackground.of(closed, r, p.openLineBackground, background);
            sums = s.sums();
            p.openLineBackground = s.carried();
        } else {
            java.util.Arrays.fill(sums, Double.NaN);
        }
        List<SegmentScore> lines = new ArrayList<>(closed.size());
        for (int i = 0; i < closed.size(); i++) {
            lines.add(SegmentScore.of(closed.get(i), sums[i]));
        }
        ParagraphTracker.Step step = ParagraphTracker.add(p.currentParagraph(), lines);
        List<SegmentScore> out = new ArrayList<>(step.closed());
        p.keepParagraph(step.open());
        if (last) {
            out.addAll(closeOpen(p));
        }
        return out;
    }

    /** The document ends without its last chunk: the paragraph it left open, if any, closed (and no longer kept). */
    List<SegmentScore> closeOpen(ProgressState p) {
        List<SegmentScore> out = ParagraphTracker.close(p.currentParagraph());
        p.keepParagraph(null);
        return out;
    }
}
