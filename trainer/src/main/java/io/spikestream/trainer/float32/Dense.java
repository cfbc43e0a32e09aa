package io.spikestream.trainer.float32;

/** y = x·Wᵀ (+ b) over t rows in float32, PyTorch layout W[out][in]; and its backward. All through {@link Gemm}. */
public final class Dense {
    private Dense() {
    }

    /** {@code wT} is W transposed ([in][out]): the forward product then runs along the output features. */
    public static float[] forward(float[] x, int t, int in, float[] wT, float[] bias, int out) {
        float[] y = new float[t * out];
        if (bias != null) {
            for (int r = 0; r < t; r++) {
                System.arraycopy(bias, 0, y, r * out, out);
            }
        }
        Gemm.mulAdd(x, 0, in, wT, 0, out, y, 0, out, t, in, out);
        return y;
    }

    /** Accumulates dW (and db) and adds d(loss)/dx into {@code dx}. */
    public static void backward(float[] dy, float[] x, int t, int in, float[] w, int out, float[] dw, float[] db, float[] dx) {
        Gemm.mulAdd(dy, 0, out, w, 0, in, dx, 0, in, t, out, in);
        Gemm.mulAdd(dy, 0, 1, out, x, 0, in, dw, 0, in, out, t, in); // dW += dYᵀ·X, dYᵀ read in place
        if (db != null) {
            for (int r = 0; r < t; r++) {
                io.spikestream.engine.kernels.Axpy.add(dy, r * out, db, 0, out);
            }
        }
    }

    /** {@link #backward} into a new dx. */
    public static float[] backward(float[] dy, float[] x, int t, int in, float[] w, int out, float[] dw, float[] db) {
        float[] dx = new float[t * in];
        backward(dy, x, t, in, w, out, dw, db, dx);
        return dx;
    }
}
