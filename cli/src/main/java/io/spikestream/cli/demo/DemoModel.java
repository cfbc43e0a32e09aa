package io.spikestream.cli.demo;

import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.SplittableRandom;

/**
 * The demo's stand-in model: a small {@code gla_swa} checkpoint with <b>random</b> weights in the exact
 * SpikingBrain tensor layout, and the real Qwen2 tokenizer (bundled). It exercises every part of the pipeline
 * at realistic token counts, but its surprisal scores mean nothing: pass {@code --model DIR} for a trained one.
 */
final class DemoModel {
    static final int HIDDEN = 64;
    static final int HEADS = 4;
    static final int KV_HEADS = 2;
    static final int LAYERS = 4;
    static final int[] ATTENTION_LAYERS = {1, 3};
    static final int INTERMEDIATE = 128;
    static final int WINDOW = 64;
    /** Qwen2's embedding rows (151,665 tokens padded, as in Qwen2 checkpoints). */
    static final int VOCAB = 151_936;
    static final int GATE_RANK = 16;
    static final long SEED = 20261128L;
    static final String[] TOKENIZER_FILES = {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json",
        "special_tokens_map.json"};

    private DemoModel() {
    }

    /** Writes config.json, model.safetensors and the tokenizer files into {@code dir}; returns {@code dir}. */
    static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config());
        int d = HIDDEN / HEADS;
        int q = HEADS * d;
        int kv = KV_HEADS * d;
        SplittableRandom random = new SplittableRandom(SEED);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("spikestream", "random demo weights");
        w.addFloats("model.embeddings.weight", DType.BF16, new long[] {VOCAB, HIDDEN}, uniform(random, VOCAB * HIDDEN, 1.0));
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            boolean swa = i == ATTENTION_LAYERS[0] || i == ATTENTION_LAYERS[1];
            w.addFloats(p + "attn_norm.weight", DType.BF16, new long[] {HIDDEN}, constant(HIDDEN, 1f));
            linear(w, random, p + "attn.q_proj", q, HIDDEN, true);
            linear(w, random, p + "attn.k_proj", kv, HIDDEN, true);
            linear(w, random, p + "attn.v_proj", kv, HIDDEN, true);
            linear(w, random, p + "attn.o_proj", HIDDEN, q, false);
            if (!swa) {
                linear(w, random, p + "attn.gk_proj.0", GATE_RANK, HIDDEN, false);
                linear(w, random, p + "attn.gk_proj.1", kv, GATE_RANK, true);
                w.addFloats(p + "attn.g_norm.weight", DType.BF16, new long[] {d}, constant(d, 1f));
            }
            w.addFloats(p + "mlp_norm.weight", DType.BF16, new long[] {HIDDEN}, constant(HIDDEN, 1f));
            linear(w, random, p + "mlp.gate_proj", INTERMEDIATE, HIDDEN, false);
            linear(w, random, p + "mlp.up_proj", INTERMEDIATE, HIDDEN, false);
            linear(w, random, p + "mlp.down_proj", HIDDEN, INTERMEDIATE, false);
        }
        w.addFloats("model.norm.weight", DType.BF16, new long[] {HIDDEN}, constant(HIDDEN, 1f));
        w.addFloats("lm_head.weight", DType.BF16, new long[] {VOCAB, HIDDEN}, uniform(random, VOCAB * HIDDEN, Math.sqrt(3.0 / HIDDEN)));
        w.write(dir.resolve("model.safetensors"));
        for (String f : TOKENIZER_FILES) {
            try (InputStream in = DemoModel.class.getResourceAsStream("/io/spikestream/demo/tokenizer/" + f)) {
                if (in == null) {
                    throw new UncheckedIOException(new IOException("the bundled tokenizer file " + f + " is missing from the build"));
                }
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private static void linear(SafetensorsWriter w, SplittableRandom random, String name, int out, int in, boolean bias) {
        w.addFloats(name + ".weight", DType.BF16, new long[] {out, in}, uniform(random, out * in, Math.sqrt(3.0 / in)));
        if (bias) {
            w.addFloats(name + ".bias", DType.BF16, new long[] {out}, uniform(random, out, 0.1));
        }
    }

    private static float[] uniform(SplittableRandom random, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (scale * (2 * random.nextDouble() - 1));
        }
        return v;
    }

    private static float[] constant(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    private static String config() {
        return """
                {
                  "architectures": ["GLAswaForCausalLM"],
                  "model_type": "gla_swa",
                  "attn_mode": "chunk",
                  "attn_layers": [%d, %d],
                  "hidden_size": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "num_hidden_layers": %d,
                  "intermediate_size": %d,
                  "vocab_size": %d,
                  "sliding_window": %d,
                  "rope_theta": 10000.0,
                  "norm_eps": 1e-06,
                  "hidden_act": "swish",
                  "use_short_conv": false,
                  "tie_word_embeddings": false,
                  "bos_token_id": 151643,
                  "eos_token_id": 151643,
                  "torch_dtype": "bfloat16"
                }
                """.formatted(ATTENTION_LAYERS[0], ATTENTION_LAYERS[1], HIDDEN, HEADS, KV_HEADS, LAYERS, INTERMEDIATE, VOCAB, WINDOW);
    }
}
