package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Every weight of a gla_swa model by its checkpoint name (REFERENCE.md's layout), in float64, with a gradient
 * buffer of the same shape. Loads from and saves to the exact checkpoint layout the engine reads.
 */
public final class Parameters {
    private final Configuration config;
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Map<String, double[]> values = new LinkedHashMap<>();
    private final Map<String, double[]> grads = new LinkedHashMap<>();

    /** The same weights (shared, not copied) with gradient buffers of its own: one per sequence of a batch. */
    Parameters withOwnGradients() {
        Parameters view = new Parameters(this);
        return view;
    }

    private Parameters(Parameters shared) {
        this.config = shared.config;
        this.shapes.putAll(shared.shapes);
        this.values.putAll(shared.values);
        for (Map.Entry<String, double[]> e : shared.values.entrySet()) {
            grads.put(e.getKey(), new double[e.getValue().length]);
        }
    }

    private Parameters(Configuration config) {
        this.config = config;
        int h = config.hiddenSize();
        int d = config.headDim();
        int q = config.numHeads() * d;
        int kv = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        int rank = config.gateLowRankDim();
        declare("model.embeddings.weight", config.vocabSize(), h);
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            declare(p + "attn_norm.weight", h);
            declare(p + "attn.q_proj.weight", q, h);
            declare(p + "attn.q_proj.bias", q);
            declare(p + "attn.k_proj.weight", kv, h);
            declare(p + "attn.k_proj.bias", kv);
            declare(p + "attn.v_proj.weight", kv, h);
            declare(p + "attn.v_proj.bias", kv);
            declare(p + "attn.o_proj.weight", h, q);
            if (!config.isAttentionLayer(i)) {
                declare(p + "attn.gk_proj.0.weight", rank, h);
                declare(p + "attn.gk_proj.1.weight", kv, rank);
                declare(p + "attn.gk_proj.1.bias", kv);
                declare(p + "attn.g_norm.weight", d);
            }
            declare(p + "mlp_norm.weight", h);
            declare(p + "mlp.gate_proj.weight", inter, h);
            declare(p + "mlp.up_proj.weight", inter, h);
            declare(p + "mlp.down_proj.weight", h, inter);
        }
        declare("model.norm.weight", h);
        if (!config.tieWordEmbeddings()) {
            declare("lm_head.weight", config.vocabSize(), h);
        }
    }

    private void declare(String name, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        shapes.put(name, shape);
        values.put(name, new double[Math.toIntExact(n)]);
        grads.put(name, new double[Math.toIntExact(n)]);
    }

    /** Random initialization: linear weights uniform ±sqrt(3/in), norms 1, biases 0, gate bias 0. */
    public static Parameters random(Configuration config, long seed) {
        Parameters p = new Parameters(config);
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> e : p.shapes.entrySet()) {
            double[] v = p.values.get(e.getKey());
            String name = e.getKey();
            if (name.endsWith("norm.weight")) {
                java.util.Arrays.fill(v, 1.0);
            } else if (e.getValue().length == 2) {
                double scale = name.equals("model.embeddings.weight") ? 1.0 : Math.sqrt(3.0 / e.getValue()[1]);
                for (int i = 0; i < v.length; i++) {
                    v[i] = scale * (2 * r.nextDouble() - 1);
                }
            }
        }
        return p;
    }

    /** The weights of a gla_swa checkpoint (any of F32/BF16/F16, widened exactly). */
    public static Parameters load(Path dir) {
        Configuration config = Configuration.load(dir);
        Parameters p = new Parameters(config);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (Map.Entry<String, long[]> e : p.shapes.entrySet()) {
                TensorInfo info = ckpt.require(e.getKey(), e.getValue());
                double[] v = p.values.get(e.getKey());
                if (e.getValue().length == 1) {
                    float[] f = Matrix.readVector(info);
                    for (int i = 0; i < f.length; i++) {
                        v[i] = f[i];
                    }
                } else {
                    Matrix m = Matrix.map(info);
                    float[] row = new float[m.cols()];
                    for (int r = 0; r < m.rows(); r++) {
                        m.widenRow(r, row, 0);
                        for (int c = 0; c < row.length; c++) {
                            v[r * row.length + c] = row[c];
                        }
                    }
                }
            }
        }
        return p;
    }

    /** Writes model.safetensors in the engine's layout with the given weight format. */
    public void save(Path file, DType dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            double[] v = values.get(e.getKey());
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = (float) v[i];
            }
            w.addFloats(e.getKey(), dtype, e.getValue(), f);
        }
        w.write(file);
    }

    public Configuration config() {
        return config;
    }

    public double[] value(String name) {
        double[] v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return v;
    }

    public double[] grad(String name) {
        return grads.get(name);
    }

    /** null when the model has no such parameter (a GLA-only tensor on an SWA layer, an absent head). */
    double[] valueOrNull(String name) {
        return values.get(name);
    }

    public List<String> names() {
        return List.copyOf(shapes.keySet());
    }

    public long[] shape(String name) {
        return shapes.get(name).clone();
    }

    public long count() {
        return values.values().stream().mapToLong(v -> v.length).sum();
    }

    public void zeroGrads() {
        for (double[] g : grads.values()) {
            java.util.Arrays.fill(g, 0);
        }
    }
}
