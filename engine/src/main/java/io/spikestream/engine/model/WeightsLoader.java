package io.spikestream.engine.model;

import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.tensor.Matrix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds checkpoint tensors to the architecture: every tensor the configuration implies must exist with
 * exactly the expected shape, or loading fails naming the tensor, the expected and the found shape.
 */
public final class WeightsLoader {
    private final Checkpoint checkpoint;
    private final Configuration config;
    /** The tensors used, in load order (the model fingerprint covers exactly these). */
    private final Map<String, TensorInfo> used = new LinkedHashMap<>();

    private WeightsLoader(Checkpoint checkpoint, Configuration config) {
        this.checkpoint = checkpoint;
        this.config = config;
    }

    /** Loads all weights; returns them with the tensors that were used. */
    public static Loaded load(Checkpoint checkpoint, Configuration config) {
        WeightsLoader loader = new WeightsLoader(checkpoint, config);
        Weights weights = loader.loadAll();
        return new Loaded(weights, List.copyOf(loader.used.values()));
    }

    /** Weights and the checkpoint tensors they came from. */
    public record Loaded(Weights weights, List<TensorInfo> tensors) {
    }

    private Weights loadAll() {
        int h = config.hiddenSize();
        int d = config.headDim();
        int qDim = config.numHeads() * d;
        int kvDim = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        int rank = config.gateLowRankDim();
        Matrix embeddings = matrix("model.embeddings.weight", config.vocabSize(), h);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            boolean gla = !config.isAttentionLayer(i);
            AttentionWeights attention = new AttentionWeights(
                    matrix(p + "attn.q_proj.weight", qDim, h), vector(p + "attn.q_proj.bias", qDim),
                    matrix(p + "attn.k_proj.weight", kvDim, h), vector(p + "attn.k_proj.bias", kvDim),
                    matrix(p + "attn.v_proj.weight", kvDim, h), vector(p + "attn.v_proj.bias", kvDim),
                    matrix(p + "attn.o_proj.weight", h, qDim),
                    gla ? matrix(p + "attn.gk_proj.0.weight", rank, h) : null,
                    gla ? matrix(p + "attn.gk_proj.1.weight", kvDim, rank) : null,
                    gla ? vector(p + "attn.gk_proj.1.bias", kvDim) : null,
                    gla ? vector(p + "attn.g_norm.weight", d) : null);
            layers.add(new LayerWeights(
                    vector(p + "attn_norm.weight", h), attention, vector(p + "mlp_norm.weight", h),
                    matrix(p + "mlp.gate_proj.weight", inter, h),
                    matrix(p + "mlp.up_proj.weight", inter, h),
                    matrix(p + "mlp.down_proj.weight", h, inter)));
        }
        float[] norm = vector("model.norm.weight", h);
        Matrix lmHead = config.tieWordEmbeddings() && !checkpoint.tensors().containsKey("lm_head.weight")
                ? embeddings : matrix("lm_head.weight", config.vocabSize(), h);
        return new Weights(embeddings, layers, norm, lmHead);
    }

    private Matrix matrix(String name, int rows, int cols) {
        TensorInfo info = checkpoint.require(name, rows, cols);
        used.put(name, info);
        return Matrix.map(info);
    }

    private float[] vector(String name, int n) {
        TensorInfo info = checkpoint.require(name, n);
        used.put(name, info);
        return Matrix.readVector(info);
    }
}
