package io.spikestream.engine.scoring;

import java.util.Optional;

/**
 * Groups a document's alerting lines into incidents, fed line by line in document order: alerting lines belong to
 * one incident when at most {@code gap} scored lines that do not alert lie between them (lines without a score,
 * such as blank ones, do not count). An unseen exception and its stack frames are one incident, alerted once,
 * instead of one alert per line.
 */
public final class IncidentTracker {
    /**
     * Alerting lines {@code first.line()} to {@code lastLine} of a document.
     *
     * @param first     the incident's first line: what its alert names
     * @param lastLine  its last alerting line
     * @param top       its highest-scoring line
     * @param alerting  how many of its lines alerted
     */
    public record Incident(LineScore first, long lastLine, LineScore top, int alerting) {
        public long firstLine() {
            return first.line();
        }
    }

    private final AlertThreshold threshold;
    private final int gap;
    private Incident open;
    private int quiet; // scored lines without an alert since the open incident's last line

    public IncidentTracker(AlertThreshold threshold, int gap) {
        if (gap < 0) {
            throw new IllegalArgumentException("the incident gap must be >= 0 lines, got " + gap);
        }
        this.threshold = threshold;
        this.gap = gap;
    }

    /** What the next line does to a document's incidents. */
    public enum Step {
        /** No score (a blank line): nothing changes. */
        NOTHING,
        /** A scored line below the threshold, within the gap: the open incident (if any) stays open. */
        QUIET,
        /** A scored line below the threshold, one more than the gap allows: the open incident closes. */
        CLOSE,
        /** An alerting line within the gap of the open incident: it extends it. */
        EXTEND,
        /** An alerting line with no incident open: it opens one. */
        OPEN
    }

    /**
     * The rule, for trackers that keep their state elsewhere (the streaming operator keeps it in keyed state):
     * {@code open} whether an incident is open, {@code quiet} the scored non-alerting lines since its last line.
     */
    public static Step step(AlertThreshold threshold, int gap, boolean open, int quiet, LineScore l) {
        if (!l.isScored()) {
            return Step.NOTHING;
        }
        if (!threshold.exceeded(l)) {
            return open && quiet + 1 > gap ? Step.CLOSE : Step.QUIET;
        }
        // an open incident is within the gap: a quiet line past it would have closed it
        return open ? Step.EXTEND : Step.OPEN;
    }

    /** The next line of the document; returns the incident it closed, if it closed one. */
    public Optional<Incident> add(LineScore l) {
        Optional<Incident> closed = Optional.empty();
        switch (step(threshold, gap, open != null, quiet, l)) {
            case NOTHING -> {
            }
            case QUIET -> quiet += open != null ? 1 : 0;
            case CLOSE -> closed = close();
            case OPEN -> {
                open = new Incident(l, l.line(), l, 1);
                quiet = 0;
            }
            case EXTEND -> {
                open = new Incident(open.first(), l.line(), l.mean() > open.top().mean() ? l : open.top(), open.alerting() + 1);
                quiet = 0;
            }
        }
        return closed;
    }

    /** Whether an incident is open (its alert is still to come). */
    public boolean isOpen() {
        return open != null;
    }

    /** Closes the open incident (the document ended, or nothing came for long enough), if there is one. */
    public Optional<Incident> close() {
        Optional<Incident> closed = Optional.ofNullable(open);
        open = null;
        quiet = 0;
        return closed;
    }
}
