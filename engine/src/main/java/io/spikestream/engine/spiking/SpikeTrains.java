package io.spikestream.engine.spiking;

/** Encodes spike counts as binary, ternary or bitwise trains ({@link SpikeCoding}) and decodes them exactly. */
public final class SpikeTrains {
    /** Largest train held in memory (steps × counts). */
    private static final long MAX_EVENTS = Integer.MAX_VALUE - 8;

    private SpikeTrains() {
    }

    public static SpikeTrain encode(int[] counts, SpikeCoding coding) {
        long max = 0;
        for (int i = 0; i < counts.length; i++) {
            int c = counts[i];
            if (coding == SpikeCoding.BINARY && c < 0) {
                throw new IllegalArgumentException("binary coding carries only counts ≥ 0; count " + i + " is " + c
                        + " (use ternary or bitwise coding for signed counts)");
            }
            max = Math.max(max, Math.abs((long) c));
        }
        int steps = steps(coding, max);
        if ((long) steps * counts.length > MAX_EVENTS) {
            throw new IllegalArgumentException(coding + " train of " + steps + " steps × " + counts.length
                    + " counts exceeds " + MAX_EVENTS + " events");
        }
        int n = counts.length;
        byte[] events = new byte[steps * n];
        for (int i = 0; i < n; i++) {
            long c = counts[i];
            long a = Math.abs(c);
            byte sign = (byte) Long.signum(c);
            switch (coding) {
                case BINARY, TERNARY -> {
                    for (int t = 0; t < a; t++) {
                        events[t * n + i] = sign;
                    }
                }
                case BITWISE -> {
                    for (int t = 0; t < steps; t++) {
                        if (((a >>> (steps - 1 - t)) & 1) != 0) {
                            events[t * n + i] = sign;
                        }
                    }
                }
            }
        }
        return new SpikeTrain(coding, steps, n, events);
    }

    /** The counts of the first token of a site's spikes (or any counts held as exact floats). */
    public static int[] counts(Spikes spikes, int token) {
        int[] out = new int[spikes.width()];
        for (int i = 0; i < out.length; i++) {
            out[i] = spikes.count(token, i);
        }
        return out;
    }

    public static int[] decode(SpikeTrain train) {
        int n = train.size();
        long[] sums = new long[n];
        for (int t = 0; t < train.steps(); t++) {
            for (int i = 0; i < n; i++) {
                int e = train.event(t, i);
                if (e != 0) {
                    sums[i] += train.coding() == SpikeCoding.BITWISE ? (long) e << (train.steps() - 1 - t) : e;
                }
            }
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.toIntExact(sums[i]);
        }
        return out;
    }

    /** Steps a coding needs for a tensor whose largest |count| is {@code maxAbs}. */
    public static int steps(SpikeCoding coding, long maxAbs) {
        return switch (coding) {
            case BINARY, TERNARY -> (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxAbs));
            case BITWISE -> Math.max(1, 64 - Long.numberOfLeadingZeros(maxAbs));
        };
    }
}
