package io.spikestream.operator;

import java.io.Serializable;
import java.time.Duration;

/**
 * How alerting lines become alerts: a document's alerting lines with at most {@code gap} scored, non-alerting
 * lines between them are one incident, one {@code Alert} naming its first line, its last ({@code lineEnd}) and its
 * highest-scoring line. An incident closes at the first quiet line past the gap, at the document's end or expiry,
 * at the end of a bounded input, or after {@code timeout} without another line of the document.
 *
 * <p>Stability: public, evolving.
 *
 * @param gap     quiet lines an incident may span (0: consecutive alerting lines; -1: every alerting line is an alert of
 *                its own, sent at once, without the incident fields — as release 0.1 alerted)
 * @param timeout how long an incident waits for the document's next line before it is emitted
 */
public record Incidents(int gap, Duration timeout) implements Serializable {
    /** Whether every alerting line is an alert of its own. */
    public boolean perLine() {
        return gap < 0;
    }

    /** Consecutive alerting lines, emitted after 10 s without another line. */
    public static final Incidents DEFAULT = new Incidents(0, Duration.ofSeconds(10));

    /** One alert per alerting line, as release 0.1 alerted. */
    public static final Incidents PER_LINE = new Incidents(-1, Duration.ofSeconds(10));

    public Incidents {
        if (gap < -1) {
            throw new IllegalArgumentException("the incident gap must be >= 0 lines (or -1: an alert per line), got " + gap);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the incident timeout must be positive, got " + timeout);
        }
    }
}
