package io.spikestream.engine.spiking;

/**
 * The spike train of a tensor of n counts: {@code steps} time steps, each an event in {−1, 0, +1} per
 * count, step-major ({@code events[t · n + i]}).
 */
public record SpikeTrain(SpikeCoding coding, int steps, int size, byte[] events) {
    public SpikeTrain {
        if ((long) steps * size != events.length) {
            throw new IllegalArgumentException(events.length + " events for " + steps + " steps × " + size);
        }
    }

    /** The event of count i at step t. */
    public int event(int t, int i) {
        return events[t * size + i];
    }

    /** Non-zero events: what event-driven hardware processes. */
    public long spikeCount() {
        long n = 0;
        for (byte e : events) {
            n += e != 0 ? 1 : 0;
        }
        return n;
    }
}
