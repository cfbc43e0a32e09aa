package io.spikestream.engine.spiking;

/**
 * How event-driven hardware receives a spike count s as a train of unit events (REFERENCE.md, "Spike
 * trains"); every coding decodes exactly to s.
 */
public enum SpikeCoding {
    /** s ≥ 0 only: s unit spikes over the first s of T = max(1, max s) steps. */
    BINARY,
    /** |s| spikes of sign(s) over the first |s| of T = max(1, max|s|) steps. */
    TERNARY,
    /**
     * T = max(1, ceil(log2(max|s| + 1))) steps per tensor; step t carries bit T−1−t of |s| with the sign of s
     * (most significant first): the fewest events, one per 1-bit.
     */
    BITWISE
}
