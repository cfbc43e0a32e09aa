package io.spikestream.trainer.model;

/** RMSNorm over groups of {@code n} values: y = x / sqrt(mean(x²) + eps) ⊙ w; and its backward. */
final class RmsNormLayer {
    private RmsNormLayer() {
    }

    /** Normalizes each of the {@code x.length / n} groups; {@code inv} receives 1/rms per group. */
    static double[] forward(double[] x, int n, double[] w, double eps, double[] inv) {
        double[] y = new double[x.length];
        for (int g = 0; g < x.length / n; g++) {
            double ss = 0;
            for (int i = 0; i < n; i++) {
                ss += x[g * n + i] * x[g * n + i];
            }
            double r = 1 / Math.sqrt(ss / n + eps);
            inv[g] = r;
            for (int i = 0; i < n; i++) {
                y[g * n + i] = x[g * n + i] * r * w[i];
            }
        }
        return y;
    }

    /** Accumulates dw and returns dx. */
    static double[] backward(double[] dy, double[] x, int n, double[] w, double[] inv, double[] dw) {
        double[] dx = new double[x.length];
        for (int g = 0; g < x.length / n; g++) {
            double r = inv[g];
            double dot = 0;
            for (int i = 0; i < n; i++) {
                double u = w[i] * dy[g * n + i];
                dot += u * x[g * n + i];
                dw[i] += dy[g * n + i] * x[g * n + i] * r;
            }
            double c = dot * r * r * r / n;
            for (int i = 0; i < n; i++) {
                dx[g * n + i] = w[i] * dy[g * n + i] * r - x[g * n + i] * c;
            }
        }
        return dx;
    }
}
