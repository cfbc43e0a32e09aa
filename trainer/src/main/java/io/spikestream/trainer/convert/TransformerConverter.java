package io.spikestream.trainer.convert;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.model.Configuration;
import io.spikestream.trainer.model.ModelWriter;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * SpikingBrain's conversion: a pretrained Qwen2- or Llama-layout Transformer becomes a {@code gla_swa} model.
 * Every layer's attention weights are copied into its token mixer (sliding-window softmax attention on the
 * {@code attn_layers}, gated linear attention elsewhere), MLPs, norms, embeddings and head are copied, and the
 * parameters attention lacks are initialized: the GLA gate ({@code gk_proj}, normal(0, 0.02) from a seed, bias 0)
 * and the GLA output norm ({@code g_norm}, ones); missing q/k/v biases (Llama) become zeros. The GLA layers need
 * training afterwards; the SWA layers compute exactly the source's attention over the window.
 *
 * <p>Tensors are streamed from the source checkpoint into the new one (a 15 GB model is not loaded onto the heap).
 */
public final class TransformerConverter {
    public static final int GATE_RANK = 16;
    static final double GATE_INIT_STD = 0.02;

    /** Conversion settings: SWA layer indices (null: the odd layers, as SpikingBrain-7B), window, init seed. */
    public record Options(int[] attnLayers, int window, long seed) {
        public static Options defaults() {
            return new Options(null, 4096, 0);
        }
    }

    private TransformerConverter() {
    }

    /** Converts the model in {@code from} into a gla_swa model in {@code to}; returns the SWA layer indices. */
    public static int[] convert(Path from, Path to, Options options) throws IOException {
        Map<String, Object> src = Json.parseObject(Files.readString(from.resolve("config.json")));
        String type = String.valueOf(src.get("model_type"));
        if (!List.of("qwen2", "llama", "mistral").contains(type)) {
            throw new IllegalArgumentException("cannot convert model_type \"" + type + "\": expected a Qwen2 or Llama layout "
                    + "(model_type qwen2, llama or mistral)");
        }
        int h = integer(src, "hidden_size");
        int heads = integer(src, "num_attention_heads");
        int kvHeads = src.containsKey("num_key_value_heads") ? integer(src, "num_key_value_heads") : heads;
        int layers = integer(src, "num_hidden_layers");
        int inter = integer(src, "intermediate_size");
        int vocab = integer(src, "vocab_size");
        if (h % heads != 0) {
            throw new IllegalArgumentException("hidden_size " + h + " is not a multiple of num_attention_heads " + heads);
        }
        int d = h / heads;
        int[] attn = options.attnLayers() != null ? options.attnLayers().clone() : oddLayers(layers);
        for (int i : attn) {
            if (i < 0 || i >= layers) {
                throw new IllegalArgumentException("attention layer " + i + " is outside 0.." + (layers - 1));
            }
        }
        Arrays.sort(attn);
        Files.createDirectories(to);
        SplittableRandom random = new SplittableRandom(options.seed());
        DType dtype;
        try (Checkpoint ckpt = Checkpoint.open(from)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("spikestream", "converted from " + type + " (" + from.getFileName() + ")");
            TensorInfo embed = ckpt.require("model.embed_tokens.weight", vocab, h);
            dtype = embed.dtype();
            w.copy("model.embeddings.weight", embed);
            for (int i = 0; i < layers; i++) {
                String s = "model.layers." + i + ".";
                String t = "model.layers." + i + ".";
                boolean swa = Arrays.binarySearch(attn, i) >= 0;
                w.copy(t + "attn_norm.weight", ckpt.require(s + "input_layernorm.weight", h));
                copyLinear(ckpt, w, s + "self_attn.q_proj", t + "attn.q_proj", heads * d, h, true, dtype);
                copyLinear(ckpt, w, s + "self_attn.k_proj", t + "attn.k_proj", kvHeads * d, h, true, dtype);
                copyLinear(ckpt, w, s + "self_attn.v_proj", t + "attn.v_proj", kvHeads * d, h, true, dtype);
                w.copy(t + "attn.o_proj.weight", ckpt.require(s + "self_attn.o_proj.weight", h, heads * d));
                if (!swa) {
                    w.addFloats(t + "attn.gk_proj.0.weight", dtype, new long[] {GATE_RANK, h}, normal(random, GATE_RANK * h));
                    w.addFloats(t + "attn.gk_proj.1.weight", dtype, new long[] {(long) kvHeads * d, GATE_RANK},
                            normal(random, kvHeads * d * GATE_RANK));
                    w.addFloats(t + "attn.gk_proj.1.bias", dtype, new long[] {(long) kvHeads * d}, new float[kvHeads * d]);
                    float[] ones = new float[d];
                    Arrays.fill(ones, 1f);
                    w.addFloats(t + "attn.g_norm.weight", dtype, new long[] {d}, ones);
                }
                w.copy(t + "mlp_norm.weight", ckpt.require(s + "post_attention_layernorm.weight", h));
                w.copy(t + "mlp.gate_proj.weight", ckpt.require(s + "mlp.gate_proj.weight", inter, h));
                w.copy(t + "mlp.up_proj.weight", ckpt.require(s + "mlp.up_proj.weight", inter, h));
                w.copy(t + "mlp.down_proj.weight", ckpt.require(s + "mlp.down_proj.weight", h, inter));
            }
            w.copy("model.norm.weight", ckpt.require("model.norm.weight", h));
            boolean tied = Boolean.TRUE.equals(src.get("tie_word_embeddings")) || !ckpt.tensors().containsKey("lm_head.weight");
            // gla_swa checkpoints carry their own head: a tied source gets a copy of its embeddings
            w.copy("lm_head.weight", tied ? embed : ckpt.require("lm_head.weight", vocab, h));
            w.write(to.resolve(Checkpoint.SINGLE_FILE));
        }
        Files.writeString(to.resolve(Configuration.FILE_NAME),
                ModelWriter.config(config(src, attn, options.window(), h, heads, kvHeads, layers, inter, vocab), dtype));
        io.spikestream.engine.tokenizer.Tokenizer.copyFiles(from, to);
        return attn;
    }

    static void copyLinear(Checkpoint ckpt, SafetensorsWriter w, String from, String to, int out, int in, DType dtype) {
        copyLinear(ckpt, w, from, to, out, in, true, dtype);
    }

    private static void copyLinear(Checkpoint ckpt, SafetensorsWriter w, String from, String to, int out, int in, boolean bias,
            DType dtype) {
        w.copy(to + ".weight", ckpt.require(from + ".weight", out, in));
        if (bias) {
            if (ckpt.tensors().containsKey(from + ".bias")) {
                w.copy(to + ".bias", ckpt.require(from + ".bias", out));
            } else {
                w.addFloats(to + ".bias", dtype, new long[] {out}, new float[out]); // Llama: no bias, i.e. zero
            }
        }
    }

    static int[] oddLayers(int layers) {
        int[] odd = new int[layers / 2];
        for (int i = 0; i < odd.length; i++) {
            odd[i] = 2 * i + 1;
        }
        return odd;
    }

    static float[] normal(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller from the seeded stream: the same seed gives the same initial gate on any JVM
            double u1 = 1 - random.nextDouble();
            double u2 = random.nextDouble();
            v[i] = (float) (GATE_INIT_STD * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    static int integer(Map<String, Object> c, String key) {
        if (!(c.get(key) instanceof Number n)) {
            throw new CheckpointException("config.json: missing or non-numeric \"" + key + "\"");
        }
        return n.intValue();
    }

    /** The gla_swa configuration of the converted model: the source's sizes, RoPE, norm eps and token ids. */
    static Configuration config(Map<String, Object> src, int[] attn, int window, int h, int heads, int kvHeads, int layers,
            int inter, int vocab) {
        double theta = src.get("rope_theta") instanceof Number n ? n.doubleValue() : 10000.0;
        double eps = src.get("rms_norm_eps") instanceof Number n ? n.doubleValue() : 1e-6;
        int bos = src.get("bos_token_id") instanceof Number n ? n.intValue() : -1;
        int[] eos;
        if (src.get("eos_token_id") instanceof List<?> list) {
            eos = list.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
        } else {
            eos = src.get("eos_token_id") instanceof Number n ? new int[] {n.intValue()} : new int[0];
        }
        return new Configuration(h, heads, kvHeads, layers, inter, vocab, window, theta, eps, attn, false, bos, eos, GATE_RANK, 16.0,
                "float32");
    }
}
