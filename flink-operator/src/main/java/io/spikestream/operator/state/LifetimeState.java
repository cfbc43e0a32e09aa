package io.spikestream.operator.state;

/** A document's status and lifetime timers ({@code DocumentLifetime} owns it). A Flink POJO. */
public class LifetimeState {
    /** The document accepts input. */
    public static final int ACTIVE = 0;
    /** The last chunk was applied; kept for the grace period so queries can still be answered. */
    public static final int ENDED = 1;
    /** The document was rejected (gap never filled, buffer full, oversized chunk, unreadable state). */
    public static final int REJECTED = 2;

    public int status = ACTIVE;
    /** Why the document was rejected, when it was. */
    public String reason;
    /** Processing time of the last input or query. */
    public long lastActivityMs;
    /** The registered inactivity (TTL) timer, or 0. */
    public long ttlTimerMs;
    /** The registered end-of-grace timer after the last chunk, or 0. */
    public long graceTimerMs;

    public LifetimeState() {
    }
}
