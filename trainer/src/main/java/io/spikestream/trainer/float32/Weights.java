package io.spikestream.trainer.float32;

import io.spikestream.engine.tensor.BF16Matrix;
import io.spikestream.trainer.model.Parameters;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A float32 copy of the float64 master weights for one training step, with each matrix also transposed (the
 * forward product runs along the output features). {@link #refresh} rounds the master weights again after
 * every optimizer step, into the same arrays; with {@code bfloat16} they are rounded to bf16 first, so the
 * passes see exactly the weights the bf16 checkpoint will hold. Parameters are addressed by their index in
 * {@link Parameters#names()} (layers resolve names once; a hash lookup per use cost ~5% of a step).
 */
public final class Weights {
    private final Parameters master;
    private final boolean bfloat16;
    private final List<String> names;
    private final Map<String, Integer> index = new HashMap<>();
    private final float[][] values;
    private final float[][] transposed;
    private final int[][] shapes;
    private final double[][] masterValues; // the master's arrays (updated in place by the optimizer)

    public Weights(Parameters master, boolean bfloat16) {
        this.master = master;
        this.bfloat16 = bfloat16;
        this.names = master.names();
        values = new float[names.size()][];
        transposed = new float[names.size()][];
        shapes = new int[names.size()][];
        masterValues = new double[names.size()][];
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            masterValues[i] = master.value(name);
            index.put(name, i);
            values[i] = new float[master.value(name).length];
            long[] shape = master.shape(name);
            shapes[i] = new int[shape.length];
            for (int k = 0; k < shape.length; k++) {
                shapes[i][k] = (int) shape[k];
            }
            if (shape.length == 2) {
                transposed[i] = new float[values[i].length];
            }
        }
        refresh();
    }

    /** Tensors in parallel when called inside a fork-join pool (each is converted on its own: the same bits). */
    public void refresh() {
        java.util.stream.IntStream.range(0, names.size()).parallel().forEach(this::refresh);
    }

    private void refresh(int n) {
        {
            double[] v = masterValues[n];
            float[] f = values[n];
            for (int i = 0; i < v.length; i++) {
                f[i] = bfloat16 ? toBf16((float) v[i]) : (float) v[i];
            }
            if (transposed[n] != null) {
                Gemm.transpose(f, 0, shapes[n][1], shapes[n][0], shapes[n][1], transposed[n]);
            }
        }
    }

    /** The index of parameter {@code name} (as in {@link Parameters#names()}). */
    public int index(String name) {
        Integer i = index.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return i;
    }

    public float[] value(int i) {
        return values[i];
    }

    /** Matrix {@code i} as [in][out]. */
    public float[] transposed(int i) {
        float[] v = transposed[i];
        if (v == null) {
            throw new IllegalArgumentException(names.get(i) + " is not a matrix");
        }
        return v;
    }

    public Parameters master() {
        return master;
    }

    /** The value the bf16 checkpoint writer stores (round to nearest even). */
    static float toBf16(float x) {
        return BF16Matrix.decode(BF16Matrix.encode(x));
    }
}
