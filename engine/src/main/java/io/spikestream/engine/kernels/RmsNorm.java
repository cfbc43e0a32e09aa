package io.spikestream.engine.kernels;

/** RMSNorm(x; w) = x / sqrt(mean(x²) + eps) ⊙ w, the mean accumulated in double in index order. */
public final class RmsNorm {
    private RmsNorm() {
    }

    public static void apply(float[] x, int xOffset, float[] weight, double eps, float[] out, int outOffset, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = x[xOffset + i];
            sum += v * v;
        }
        double inv = 1.0 / Math.sqrt(sum / n + eps);
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = (float) (x[xOffset + i] * inv) * weight[i];
        }
    }

    /** {@link #rows(float[], float[], double, float[], int, int)} with the rows shared among threads. */
    public static void rows(float[] x, float[] weight, double eps, float[] out, int rows, int n, Parallel parallel) {
        parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, n)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                apply(x, r * n, weight, eps, out, r * n, n);
            }
        });
    }

    /** Normalizes each of {@code rows} consecutive vectors of length n. */
    public static void rows(float[] x, float[] weight, double eps, float[] out, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            apply(x, r * n, weight, eps, out, r * n, n);
        }
    }
}
