package io.spikestream.trainer.corpus;

/** The kinds of anomaly {@link AnomalyInjector} puts into a normal log stream. */
public enum Anomaly {
    /** An error and stack trace of an exception type the normal stream never has. */
    UNSEEN_ERROR,
    /** A line whose timestamp jumps back in time. */
    OUT_OF_ORDER,
    /** A line cut short and garbled (bytes lost in transport, a binary dump). */
    CORRUPTED,
    /** A normal-looking line with a value far outside its usual range (latency, status, sizes). */
    UNUSUAL_VALUE
}
