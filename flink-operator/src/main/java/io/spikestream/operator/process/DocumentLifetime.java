package io.spikestream.operator.process;

import io.spikestream.operator.state.LifetimeState;
import org.apache.flink.streaming.api.TimerService;

import java.time.Duration;

/**
 * A document's lifetime: active until its last chunk (then ended, and queryable for the grace period) or until
 * it is rejected; dropped after the TTL without activity. Owns {@link LifetimeState} and its two timers.
 */
final class DocumentLifetime {
    /** What a timer meant for the document. */
    enum Fired {
        NOTHING, GRACE_OVER, EXPIRED
    }

    private final Duration stateTtl;
    private final Duration endGrace;

    DocumentLifetime(Duration stateTtl, Duration endGrace) {
        this.stateTtl = stateTtl;
        this.endGrace = endGrace;
    }

    Duration stateTtl() {
        return stateTtl;
    }

    /** Records activity and makes sure an inactivity timer is pending. */
    void touch(LifetimeState s, TimerService timers) {
        long now = timers.currentProcessingTime();
        s.lastActivityMs = now;
        if (!stateTtl.isZero() && s.ttlTimerMs == 0) {
            s.ttlTimerMs = now + stateTtl.toMillis();
            timers.registerProcessingTimeTimer(s.ttlTimerMs);
        }
    }

    /** The last chunk was applied. Returns whether the engine state goes now (no grace period). */
    boolean end(LifetimeState s, TimerService timers) {
        s.status = LifetimeState.ENDED;
        if (endGrace.isZero()) {
            return true;
        }
        s.graceTimerMs = timers.currentProcessingTime() + endGrace.toMillis();
        timers.registerProcessingTimeTimer(s.graceTimerMs);
        return false;
    }

    void reject(LifetimeState s, String reason, TimerService timers) {
        deleteTimer(timers, s.graceTimerMs);
        s.graceTimerMs = 0;
        s.status = LifetimeState.REJECTED;
        s.reason = reason;
    }

    /** A timer fired at {@code timestamp}: the end of the grace period, the TTL, or an inactivity check pushed on. */
    Fired onTimer(LifetimeState s, long timestamp, TimerService timers) {
        Fired fired = Fired.NOTHING;
        if (timestamp == s.graceTimerMs) {
            // the engine state goes, the small record of the end stays until the TTL
            s.graceTimerMs = 0;
            fired = Fired.GRACE_OVER;
        }
        if (timestamp == s.ttlTimerMs) {
            long expiry = s.lastActivityMs + stateTtl.toMillis();
            if (expiry <= timestamp) {
                return Fired.EXPIRED;
            }
            s.ttlTimerMs = expiry;
            timers.registerProcessingTimeTimer(expiry);
        }
        return fired;
    }

    /** Removes both timers (the document is dropped). */
    void clear(LifetimeState s, TimerService timers) {
        deleteTimer(timers, s.ttlTimerMs);
        deleteTimer(timers, s.graceTimerMs);
    }

    static void deleteTimer(TimerService timers, long timestamp) {
        if (timestamp != 0) {
            timers.deleteProcessingTimeTimer(timestamp);
        }
    }
}
