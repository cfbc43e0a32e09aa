package io.spikestream.engine.scoring;

import io.spikestream.engine.ChunkResult;

import java.util.List;

/**
 * The background surprisal of each line's scored tokens ({@link SegmentScore#background()}), from the tokens of
 * the pass that completed the lines. A line begun in an earlier pass brings the sum of its tokens there
 * ({@code carried}); what the open line holds after the pass is carried to the next.
 */
public final class LineBackground {
    private LineBackground() {
    }

    /**
     * @param sums    one per closed line
     * @param carried the still-open line's sum so far
     */
    public record Sums(double[] sums, double carried) {
    }

    /**
     * @param closed     the lines the pass closed, in order (as {@link LineTracker} or {@link LineScorer} made them)
     * @param r          the pass's tokens
     * @param carried    the sum of the line open before the pass
     * @param background −ln p per token id
     */
    public static Sums of(List<LineScore> closed, ChunkResult r, double carried, double[] background) {
        double[] sums = new double[closed.size()];
        int line = 0;
        double acc = carried;
        for (int i = 0; i < r.size(); i++) {
            long p = r.startPosition() + i;
            while (line < closed.size() && p >= closed.get(line).tokenEnd()) {
                sums[line++] = acc;
                acc = 0;
            }
            if (!Double.isNaN(r.logProbs()[i])) {
                acc += background[r.tokens()[i]];
            }
        }
        while (line < closed.size()) {
            sums[line++] = acc;
            acc = 0;
        }
        return new Sums(sums, acc);
    }
}
