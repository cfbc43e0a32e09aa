package io.spikestream.trainer.float32;

import io.spikestream.trainer.model.Parameters;

import java.util.List;

/** Float32 gradient buffers for one training sequence, shaped like the parameters, indexed as {@link Weights}. */
public final class Gradients {
    private final List<String> names;
    private final float[][] grads;

    public Gradients(Parameters p) {
        names = p.names();
        grads = new float[names.size()][];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = new float[p.value(names.get(i)).length];
        }
    }

    public float[] grad(int i) {
        return grads[i];
    }

    public float[] grad(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return grads[i];
    }

    public void zero() {
        for (float[] g : grads) {
            java.util.Arrays.fill(g, 0);
        }
    }
}
