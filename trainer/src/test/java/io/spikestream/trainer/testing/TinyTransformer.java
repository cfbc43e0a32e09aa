package io.spikestream.trainer.testing;

import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny random Qwen2/Llama-layout checkpoints (float32) for conversion tests. */
public final class TinyTransformer {
    public static final int H = 32, HEADS = 4, KV = 2, D = H / HEADS, LAYERS = 3, INTER = 48, VOCAB = 50;
    public static final double THETA = 10000, EPS = 1e-6;

    private TinyTransformer() {
    }

    /** A source checkpoint: weights by name (float32, so the reference sees exactly the stored values). */
    public static Map<String, float[]> write(Path dir, String type, boolean biases, boolean tied, long seed) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> w = new HashMap<>();
        SafetensorsWriter out = new SafetensorsWriter();
        put(out, w, "model.embed_tokens.weight", r, 1.0, VOCAB, H);
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            put(out, w, p + "input_layernorm.weight", r, -1, H);
            put(out, w, p + "self_attn.q_proj.weight", r, 0.4, HEADS * D, H);
            put(out, w, p + "self_attn.k_proj.weight", r, 0.4, KV * D, H);
            put(out, w, p + "self_attn.v_proj.weight", r, 0.4, KV * D, H);
            if (biases) {
                put(out, w, p + "self_attn.q_proj.bias", r, 0.2, HEADS * D);
                put(out, w, p + "self_attn.k_proj.bias", r, 0.2, KV * D);
                put(out, w, p + "self_attn.v_proj.bias", r, 0.2, KV * D);
            }
            put(out, w, p + "self_attn.o_proj.weight", r, 0.3, H, HEADS * D);
            put(out, w, p + "post_attention_layernorm.weight", r, -1, H);
            put(out, w, p + "mlp.gate_proj.weight", r, 0.3, INTER, H);
            put(out, w, p + "mlp.up_proj.weight", r, 0.3, INTER, H);
            put(out, w, p + "mlp.down_proj.weight", r, 0.2, H, INTER);
        }
        put(out, w, "model.norm.weight", r, -1, H);
        if (!tied) {
            put(out, w, "lm_head.weight", r, 0.3, VOCAB, H);
        }
        out.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "%s", "hidden_size": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "num_hidden_layers": %d, "intermediate_size": %d, "vocab_size": %d, "rope_theta": %s, "rms_norm_eps": %s,
                 "tie_word_embeddings": %s, "bos_token_id": 1, "eos_token_id": [2, 3], "torch_dtype": "float32"}
                """.formatted(type, H, HEADS, KV, LAYERS, INTER, VOCAB, THETA, EPS, tied));
        return w;
    }

    /** scale < 0: a norm weight around 1. */
    private static void put(SafetensorsWriter out, Map<String, float[]> w, String name, SplittableRandom r, double scale, long... shape) {
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale < 0 ? (float) (1 + 0.2 * (2 * r.nextDouble() - 1)) : (float) (scale * (2 * r.nextDouble() - 1));
        }
        out.addFloats(name, DType.F32, shape, v);
        w.put(name, v);
    }
}
