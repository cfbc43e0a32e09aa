package io.spikestream.operator;

import java.io.Serializable;
import java.time.Duration;

/**
 * How many elements the operator gathers before it applies them (Flink SQL's mini-batch): up to {@code size}
 * elements holding up to {@code chars} characters of text, or for at most {@code time}, whichever comes first;
 * then each document's gathered records are scored in one engine pass and its state is written once. A bundle is
 * always applied before a checkpoint barrier passes and when the input ends, so checkpoints never hold half of one.
 * {@code size} 1 applies every element as it arrives. The output is the same for every setting (but
 * {@code stateBytesWritten}, which counts the writes that happened).
 *
 * <p>{@code chars} bounds the work of one bundle — and so how long a checkpoint barrier can wait for it — when
 * elements are large (a backlog of 16 KB chunks would otherwise gather 10,000 of them: tens of minutes of engine time).
 *
 * <p>Stability: public, evolving.
 */
public record Bundles(int size, Duration time, long chars) implements Serializable {
    /**
     * 2 M characters: 122 chunks of 16 KiB, ~1 M tokens, ~15 s of engine work on a 2-core machine. Bundles of
     * 10,000 log lines stay below it (1 M characters cost a single-key text job ~8% of its rate here).
     */
    public static final long DEFAULT_CHARS = 2_000_000;

    /** 10,000 elements, 2 M characters or half a second: a backlog goes through in large passes, a trickle waits at most 0.5 s. */
    public static final Bundles DEFAULT = new Bundles(10_000, Duration.ofMillis(500), DEFAULT_CHARS);

    /** Every element applied as it arrives. */
    public static final Bundles NONE = new Bundles(1, Duration.ZERO, DEFAULT_CHARS);

    public Bundles {
        if (size < 1) {
            throw new IllegalArgumentException("--bundle-size must be at least 1, got " + size);
        }
        if (time == null || time.isNegative() || (size > 1 && time.isZero())) {
            throw new IllegalArgumentException("--bundle-time must be positive when bundles hold more than one element, got " + time);
        }
        if (chars < 1) {
            throw new IllegalArgumentException("--bundle-chars must be at least 1, got " + chars);
        }
    }

    /** {@code size} elements or {@code time}, with the default bound on characters. */
    public Bundles(int size, Duration time) {
        this(size, time, DEFAULT_CHARS);
    }

    /** Whether a bundle of {@code elements} holding {@code textChars} characters is to be applied now. */
    boolean full(int elements, long textChars) {
        return elements >= size || textChars >= chars;
    }
}
