package io.spikestream.trainer.model;

/** y = x·Wᵀ (+ b) over T rows, PyTorch layout W[out][in]; and its backward. Float64, row-major. */
final class Linear {
    private Linear() {
    }

    static double[] forward(double[] x, int t, int in, double[] w, double[] b, int out) {
        double[] y = new double[t * out];
        for (int r = 0; r < t; r++) {
            for (int o = 0; o < out; o++) {
                int wo = o * in;
                int xr = r * in;
                // four independent sums: the adds pipeline instead of waiting on each other (fixed order: deterministic)
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = 0;
                for (; i + 3 < in; i += 4) {
                    s0 += x[xr + i] * w[wo + i];
                    s1 += x[xr + i + 1] * w[wo + i + 1];
                    s2 += x[xr + i + 2] * w[wo + i + 2];
                    s3 += x[xr + i + 3] * w[wo + i + 3];
                }
                for (; i < in; i++) {
                    s0 += x[xr + i] * w[wo + i];
                }
                y[r * out + o] = (b == null ? 0 : b[o]) + ((s0 + s1) + (s2 + s3));
            }
        }
        return y;
    }

    /** Accumulates dW (and db) and returns dx. */
    static double[] backward(double[] dy, double[] x, int t, int in, double[] w, int out, double[] dw, double[] db) {
        double[] dx = new double[t * in];
        for (int r = 0; r < t; r++) {
            for (int o = 0; o < out; o++) {
                double g = dy[r * out + o];
                if (g == 0) {
                    continue;
                }
                int wo = o * in;
                int xr = r * in;
                for (int i = 0; i < in; i++) {
                    dx[xr + i] += g * w[wo + i];
                    dw[wo + i] += g * x[xr + i];
                }
                if (db != null) {
                    db[o] += g;
                }
            }
        }
        return dx;
    }
}
