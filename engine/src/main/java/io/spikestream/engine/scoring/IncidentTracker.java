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

    /** The next line of the document; returns the incident it closed, if it closed one. */
    public Optional<Incident> add(LineScore l) {
        if (!l.isScored()) {
            return Optional.empty();
        }
        if (!threshold.exceeded(l)) {
            if (open != null && ++quiet > gap) {
                return close();
            }
            return Optional.empty();
        }
        Optional<Incident> closed = Optional.empty();
        if (open != null && quiet > gap) {
            closed = close();
        }
        if (open == null) {
            open = new Incident(l, l.line(), l, 1);
        } else {
            open = new Incident(open.first(), l.line(), l.mean() > open.top().mean() ? l : open.top(), open.alerting() + 1);
        }
        quiet = 0;
        return closed;
    }

    /** Closes the open incident (the document ended, or nothing came for long enough), if there is one. */
    public Optional<Incident> close() {
        Optional<Incident> closed = Optional.ofNullable(open);
        open = null;
        quiet = 0;
        return closed;
    }
}
