package io.spikestream.trainer.model;

/**
 * σ(z) and log σ(z) in double, in the forms that neither overflow nor lose the small end: the GLA gate's log
 * decay and its derivative, and SiLU, in the float64 reference and in the float32 passes' gate alike.
 */
public final class Sigmoid {
    private Sigmoid() {
    }

    public static double logSigmoid(double z) {
        return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
    }

    public static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
