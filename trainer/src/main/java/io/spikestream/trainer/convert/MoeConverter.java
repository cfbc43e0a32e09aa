package io.spikestream.trainer.convert;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.MoeLayout;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Qwen2- or Llama-layout Transformer into the {@code spikingbrain_moe} layout (the 76B's recipe, report
 * §3.2): both attention branches of every layer start from the source attention (q/k/v and their biases copied
 * into {@code attn.la.*} and {@code attn.sa.*}, one shared {@code o_proj}), the branch norms start at ones, the
 * sinks small (normal(0, 0.02) from the seed), dense layers copy the source MLP, and the other layers are
 * upcycled: every routed expert and every shared expert is the source MLP with each of its three matrices
 * scaled by α = (1 / (S + k/N))^(1/3) (0.98 for S = 1 shared, top-k = 1, N = 16), the router normal(0, 0.02)
 * from the seed. Upcycled experts are identical, so at initialization routing changes nothing but the weight
 * p of the chosen expert; training differentiates them.
 */
public final class MoeConverter {

    /**
     * @param fullAttentionLayers null: every seventh layer from the seventh (the 76B's 7, 14, 21, 28, 1-based)
     * @param denseLayers         null: the 76B's 1, 2, 3, 5, 7, 9, 11 (1-based) that exist
     */
    public record Options(int[] fullAttentionLayers, int[] denseLayers, int window, int sinks, int experts, int topK, int sharedExperts,
                          long seed) {
        public static Options defaults() {
            return new Options(null, null, 4096, 128, 16, 1, 1, 0);
        }
    }

    private MoeConverter() {
    }

    /** α = (1 / (S + k/N))^(1/3): the scale of each of an upcycled expert's three matrices. */
    public static double upcyclingScale(int shared, int topK, int experts) {
        return Math.cbrt(1.0 / (shared + (double) topK / experts));
    }

    /** Converts {@code from} into a spikingbrain_moe model in {@code to}; returns its configuration. */
    public static Configuration convert(Path from, Path to, Options o) throws IOException {
        Map<String, Object> src = Json.parseObject(Files.readString(from.resolve("config.json")));
        String type = String.valueOf(src.get("model_type"));
        if (!List.of("qwen2", "llama", "mistral").contains(type)) {
            throw new IllegalArgumentException("cannot convert model_type \"" + type + "\": expected a Qwen2 or Llama layout "
                    + "(model_type qwen2, llama or mistral)");
        }
        int h = TransformerConverter.integer(src, "hidden_size");
        int heads = TransformerConverter.integer(src, "num_attention_heads");
        int kvHeads = src.containsKey("num_key_value_heads") ? TransformerConverter.integer(src, "num_key_value_heads") : heads;
        int layers = TransformerConverter.integer(src, "num_hidden_layers");
        int inter = TransformerConverter.integer(src, "intermediate_size");
        int vocab = TransformerConverter.integer(src, "vocab_size");
        int d = h / heads;
        int[] full = o.fullAttentionLayers() != null ? o.fullAttentionLayers().clone() : everySeventh(layers);
        int[] dense = o.denseLayers() != null ? o.denseLayers().clone()
                : Arrays.stream(new int[] {0, 1, 2, 4, 6, 8, 10}).filter(i -> i < layers).toArray();
        MoeLayout moe = new MoeLayout(full, o.sinks(), dense, o.experts(), o.topK(), inter, o.sharedExperts(), inter);
        float alpha = (float) upcyclingScale(o.sharedExperts(), o.topK(), o.experts());
        Files.createDirectories(to);
        SplittableRandom random = new SplittableRandom(o.seed());
        DType dtype;
        Configuration config;
        try (Checkpoint ckpt = Checkpoint.open(from)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("spikestream", "converted from " + type + " (" + from.getFileName() + ") to spikingbrain_moe");
            TensorInfo embed = ckpt.require("model.embed_tokens.weight", vocab, h);
            dtype = embed.dtype();
            config = config(src, moe, o.window(), h, heads, kvHeads, layers, inter, vocab);
            w.copy("model.embeddings.weight", embed);
            if (o.sinks() > 0) {
                w.addFloats("model.sink_embeddings", dtype, new long[] {o.sinks(), h}, TransformerConverter.normal(random, o.sinks() * h));
            }
            float[] ones = new float[d];
            Arrays.fill(ones, 1f);
            for (int i = 0; i < layers; i++) {
                String s = "model.layers." + i + ".";
                w.copy(s + "attn_norm.weight", ckpt.require(s + "input_layernorm.weight", h));
                for (String branch : new String[] {"la", "sa"}) {
                    String t = s + "attn." + branch + ".";
                    TransformerConverter.copyLinear(ckpt, w, s + "self_attn.q_proj", t + "q_proj", heads * d, h, dtype);
                    TransformerConverter.copyLinear(ckpt, w, s + "self_attn.k_proj", t + "k_proj", kvHeads * d, h, dtype);
                    TransformerConverter.copyLinear(ckpt, w, s + "self_attn.v_proj", t + "v_proj", kvHeads * d, h, dtype);
                    w.addFloats(t + "norm.weight", dtype, new long[] {d}, ones);
                }
                w.copy(s + "attn.o_proj.weight", ckpt.require(s + "self_attn.o_proj.weight", h, heads * d));
                w.copy(s + "mlp_norm.weight", ckpt.require(s + "post_attention_layernorm.weight", h));
                TensorInfo gate = ckpt.require(s + "mlp.gate_proj.weight", inter, h);
                TensorInfo up = ckpt.require(s + "mlp.up_proj.weight", inter, h);
                TensorInfo down = ckpt.require(s + "mlp.down_proj.weight", h, inter);
                if (moe.isDenseLayer(i)) {
                    w.copy(s + "mlp.gate_proj.weight", gate).copy(s + "mlp.up_proj.weight", up).copy(s + "mlp.down_proj.weight", down);
                    continue;
                }
                w.addFloats(s + "mlp.router.weight", dtype, new long[] {o.experts(), h}, TransformerConverter.normal(random, o.experts() * h));
                float[] g = scaled(gate, alpha);
                float[] u = scaled(up, alpha);
                float[] dn = scaled(down, alpha);
                for (int e = 0; e < o.experts() + o.sharedExperts(); e++) {
                    String t = s + (e < o.experts() ? "mlp.experts." + e : "mlp.shared_experts." + (e - o.experts())) + ".";
                    w.addFloats(t + "gate_proj.weight", dtype, new long[] {inter, h}, g);
                    w.addFloats(t + "up_proj.weight", dtype, new long[] {inter, h}, u);
                    w.addFloats(t + "down_proj.weight", dtype, new long[] {h, inter}, dn);
                }
            }
            w.copy("model.norm.weight", ckpt.require("model.norm.weight", h));
            boolean tied = Boolean.TRUE.equals(src.get("tie_word_embeddings")) || !ckpt.tensors().containsKey("lm_head.weight");
            w.copy("lm_head.weight", tied ? embed : ckpt.require("lm_head.weight", vocab, h));
            w.write(to.resolve(Checkpoint.SINGLE_FILE));
        }
        Files.writeString(to.resolve(Configuration.FILE_NAME), io.spikestream.trainer.model.ModelWriter.config(config, dtype));
        io.spikestream.engine.tokenizer.Tokenizer.copyFiles(from, to);
        return config;
    }

    /** The 76B's full-attention layers: the 7th, 14th, … (0-based 6, 13, …); the last layer when there are fewer than seven. */
    static int[] everySeventh(int layers) {
        int[] every = java.util.stream.IntStream.range(0, layers).filter(i -> i % 7 == 6).toArray();
        return every.length > 0 ? every : new int[] {layers - 1};
    }

    private static float[] scaled(TensorInfo t, float alpha) {
        Matrix m = Matrix.map(t);
        float[] v = new float[m.rows() * m.cols()];
        m.widenRows(0, m.rows(), v, 0);
        for (int i = 0; i < v.length; i++) {
            v[i] *= alpha;
        }
        return v;
    }

    private static Configuration config(Map<String, Object> src, MoeLayout moe, int window, int h, int heads, int kvHeads, int layers,
                                        int inter, int vocab) {
        Configuration dense = TransformerConverter.config(src, new int[0], window, h, heads, kvHeads, layers, inter, vocab);
        return new Configuration(h, heads, kvHeads, layers, inter, vocab, window, dense.ropeTheta(), dense.normEps(), new int[0], false,
                dense.bosTokenId(), dense.eosTokenIds(), TransformerConverter.GATE_RANK, 16.0, "float32", moe);
    }

}
