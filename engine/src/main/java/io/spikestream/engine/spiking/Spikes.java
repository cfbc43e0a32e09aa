package io.spikestream.engine.spiking;

/**
 * Adaptive-threshold spike counts of one activation site for a chunk of tokens (REFERENCE.md, W8ASpike):
 * <pre>
 *   V_th = clamp(mean_i |x_i| / 3, 1e-5, 1e4)      one threshold per token (per token and head for SWA queries)
 *   s_i  = round(x_i / V_th)                        round half to even, no clamp
 * </pre>
 * The mean is accumulated in double in index order and the division is done in double, so a count depends
 * only on the token's own activations. Counts are stored as floats: they are small integers, exact in float,
 * which is what lets the spiking kernels form exact integer sums in FMA lanes.
 */
public final class Spikes {
    /** The spike-firing-rate constant k of the released code. */
    public static final double K = 3.0;
    public static final double MIN_THRESHOLD = 1e-5;
    public static final double MAX_THRESHOLD = 1e4;

    private final int tokens;
    private final int width;
    private final int segment;
    private final float[] counts;
    private final float[] thresholds;
    private final int[] maxAbs;

    private Spikes(int tokens, int width, int segment) {
        this.tokens = tokens;
        this.width = width;
        this.segment = segment;
        this.counts = new float[Math.multiplyExact(tokens, width)];
        this.thresholds = new float[tokens * (width / segment)];
        this.maxAbs = new int[tokens];
    }

    /** Spikes of n tokens of {@code width} features each, one threshold per token. */
    public static Spikes encode(float[] x, int n, int width) {
        return encode(x, n, width, width);
    }

    /**
     * Spikes with one threshold per {@code segment} consecutive features of a token (the SWA query: one per
     * head of D features).
     */
    public static Spikes encode(float[] x, int n, int width, int segment) {
        if (segment <= 0 || width % segment != 0) {
            throw new IllegalArgumentException("segment " + segment + " does not divide width " + width);
        }
        if (x.length < (long) n * width) {
            throw new IllegalArgumentException(x.length + " activations for " + n + " tokens of " + width);
        }
        Spikes s = new Spikes(n, width, segment);
        int perToken = width / segment;
        for (int t = 0; t < n; t++) {
            int max = 0;
            for (int g = 0; g < perToken; g++) {
                int off = t * width + g * segment;
                double vth = threshold(x, off, segment);
                s.thresholds[t * perToken + g] = (float) vth;
                for (int i = off; i < off + segment; i++) {
                    double c = Math.rint(x[i] / vth);
                    s.counts[i] = (float) c;
                    max = (int) Math.max(max, Math.min(Integer.MAX_VALUE, Math.abs(c)));
                }
            }
            s.maxAbs[t] = max;
        }
        return s;
    }

    /** V_th of {@code len} activations: their mean absolute value over k, clamped. */
    public static double threshold(float[] x, int offset, int len) {
        double sum = 0;
        for (int i = offset; i < offset + len; i++) {
            sum += Math.abs((double) x[i]);
        }
        double vth = sum / len / K;
        return Math.min(MAX_THRESHOLD, Math.max(MIN_THRESHOLD, vth));
    }

    public int tokens() {
        return tokens;
    }

    public int width() {
        return width;
    }

    /** Features sharing one threshold: the width, or the head dimension for SWA queries. */
    public int segment() {
        return segment;
    }

    /** Spike counts, tokens × width, row-major; exact integers. */
    public float[] counts() {
        return counts;
    }

    /** The count of feature i of token t. */
    public int count(int t, int i) {
        return (int) counts[t * width + i];
    }

    /** Thresholds, one per token and segment. */
    public float[] thresholds() {
        return thresholds;
    }

    public float threshold(int t) {
        return thresholds[t * (width / segment)];
    }

    /** Largest |s| of token t (saturated at Integer.MAX_VALUE). */
    public int maxAbs(int t) {
        return maxAbs[t];
    }

    /** The values the spikes stand for, s · V_th (float), into {@code out} (tokens × width). */
    public void dequantize(float[] out) {
        int perToken = width / segment;
        for (int t = 0; t < tokens; t++) {
            for (int g = 0; g < perToken; g++) {
                float vth = thresholds[t * perToken + g];
                int off = t * width + g * segment;
                for (int i = off; i < off + segment; i++) {
                    out[i] = counts[i] * vth;
                }
            }
        }
    }
}
