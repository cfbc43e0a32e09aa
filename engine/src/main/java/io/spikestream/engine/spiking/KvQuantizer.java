package io.spikestream.engine.spiking;

/**
 * The int8 keys and values of a W8ASpike sliding-window layer (REFERENCE.md): per token and key/value head,
 * <pre>
 *   scale = clamp(max|x| / 127, 1e-5, 1e4)    (a float)
 *   c     = clamp(round(x / scale), −128, 127) (round half to even)
 *   x̂     = c · scale
 * </pre>
 * The model attends to x̂, so a window that stores c and the scale holds exactly what attention reads.
 */
public final class KvQuantizer {
    public static final double MIN_SCALE = 1e-5;
    public static final double MAX_SCALE = 1e4;

    private KvQuantizer() {
    }

    /**
     * Quantizes n tokens of {@code heads} vectors of {@code d} values: codes and scales are written, and
     * {@code x} is replaced by x̂.
     */
    public static void quantize(float[] x, int n, int heads, int d, byte[] codes, float[] scales) {
        for (int v = 0; v < n * heads; v++) {
            int off = v * d;
            float max = 0f;
            for (int i = off; i < off + d; i++) {
                max = Math.max(max, Math.abs(x[i]));
            }
            float scale = (float) Math.min(MAX_SCALE, Math.max(MIN_SCALE, max / 127.0));
            scales[v] = scale;
            for (int i = off; i < off + d; i++) {
                double c = Math.max(-128, Math.min(127, Math.rint(x[i] / (double) scale)));
                codes[i] = (byte) c;
                x[i] = dequantize(codes[i], scale);
            }
        }
    }

    /** x̂ = c · scale. */
    public static float dequantize(byte code, float scale) {
        return code * scale;
    }
}
