package io.spikestream.trainer.convert;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.trainer.testing.TinyTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Conversion of tiny random Qwen2- and Llama-layout checkpoints written by the test. With every layer made a
 * sliding-window layer whose window covers the sequence, the converted model must be the source Transformer:
 * its logits are compared with an independent float64 implementation of the source model.
 */
class TransformerConverterTest {
    static final int H = TinyTransformer.H, HEADS = TinyTransformer.HEADS, KV = TinyTransformer.KV, D = TinyTransformer.D,
            LAYERS = TinyTransformer.LAYERS, INTER = TinyTransformer.INTER, VOCAB = TinyTransformer.VOCAB;
    static final double THETA = TinyTransformer.THETA, EPS = TinyTransformer.EPS;

    @TempDir
    Path tmp;

    @Test
    void withEveryLayerSlidingTheConvertedQwen2ModelIsTheSourceModel() throws Exception {
        checkAgainstReference("qwen2", true, false);
    }

    @Test
    void llamaLayoutWithoutBiasesAndWithTiedEmbeddings() throws Exception {
        checkAgainstReference("llama", false, true);
    }

    private void checkAgainstReference(String type, boolean biases, boolean tied) throws Exception {
        Map<String, float[]> w = TinyTransformer.write(tmp.resolve("src"), type, biases, tied, 42);
        int[] all = {0, 1, 2};
        TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("dst"), new TransformerConverter.Options(all, 64, 7));
        int[] tokens = {3, 17, 5, 5, 49, 0, 23, 8, 11, 30, 2, 41};
        double[][] expected = reference(w, tokens, tied);
        try (Engine engine = new Engine(Model.load(tmp.resolve("dst")), new EngineOptions(1))) {
            float[] logits = engine.advanceWithLogits(engine.newDocument(), tokens).logits();
            double worst = 0;
            for (int t = 0; t < tokens.length; t++) {
                for (int v = 0; v < VOCAB; v++) {
                    worst = Math.max(worst, Math.abs(logits[t * VOCAB + v] - expected[t][v]));
                }
            }
            assertThat(worst).as("max |logit - float64 reference|").isLessThan(2e-4);
        }
    }

    @Test
    void theDefaultConversionInterleavesGlaLayersAndIsDeterministic() throws Exception {
        TinyTransformer.write(tmp.resolve("src"), "qwen2", true, false, 1);
        int[] attn = TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("a"), TransformerConverter.Options.defaults());
        TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("b"), TransformerConverter.Options.defaults());
        assertThat(attn).containsExactly(1);
        assertThat(Files.readAllBytes(tmp.resolve("a/model.safetensors"))).isEqualTo(Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        assertThat(Files.readString(tmp.resolve("a/config.json"))).contains("\"attn_layers\": [1]").contains("\"eos_token_id\": [2, 3]");
        try (Engine engine = new Engine(Model.load(tmp.resolve("a")), new EngineOptions(1))) {
            double[] lp = engine.advance(engine.newDocument(), new int[] {1, 2, 3, 4, 5}).logProbs();
            for (int i = 1; i < lp.length; i++) {
                assertThat(lp[i]).isFinite().isNegative();
            }
        }
    }

    @Test
    void badSourcesAreRefusedNamingWhatIsWrong() throws Exception {
        TinyTransformer.write(tmp.resolve("src"), "gpt2", true, false, 1);
        assertThatThrownBy(() -> TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("x"), TransformerConverter.Options.defaults()))
                .hasMessageContaining("cannot convert model_type \"gpt2\"");
        Files.writeString(tmp.resolve("src/config.json"), Files.readString(tmp.resolve("src/config.json"))
                .replace("\"gpt2\"", "\"qwen2\"").replace("\"intermediate_size\": 48", "\"intermediate_size\": 64"));
        assertThatThrownBy(() -> TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("x"), TransformerConverter.Options.defaults()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("model.layers.0.mlp.gate_proj.weight")
                .hasMessageContaining("64");
        assertThatThrownBy(() -> TransformerConverter.convert(tmp.resolve("src"), tmp.resolve("x"),
                new TransformerConverter.Options(new int[] {5}, 64, 0))).hasMessageContaining("attention layer 5 is outside 0..2");
    }

    // ------------------------------------------------------------------ the source model in float64

    static double[][] reference(Map<String, float[]> w, int[] tokens, boolean tied) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) {
            x[t] = slice(w.get("model.embed_tokens.weight"), tokens[t] * H, H);
        }
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] a = rms(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = rope(linear(w, p + "self_attn.q_proj", a, HEADS * D), HEADS, t);
                k[t] = rope(linear(w, p + "self_attn.k_proj", a, KV * D), KV, t);
                v[t] = linear(w, p + "self_attn.v_proj", a, KV * D);
            }
            double[][] next = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] o = new double[HEADS * D];
                for (int hd = 0; hd < HEADS; hd++) {
                    int j = hd / (HEADS / KV);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int c = 0; c < D; c++) {
                            dot += q[t][hd * D + c] * k[u][j * D + c];
                        }
                        s[u] = dot / Math.sqrt(D);
                        max = Math.max(max, s[u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= t; u++) {
                        s[u] = Math.exp(s[u] - max);
                        z += s[u];
                    }
                    for (int u = 0; u <= t; u++) {
                        for (int c = 0; c < D; c++) {
                            o[hd * D + c] += s[u] / z * v[u][j * D + c];
                        }
                    }
                }
                double[] r = add(x[t], matvec(w.get(p + "self_attn.o_proj.weight"), o, H));
                double[] m = rms(r, w.get(p + "post_attention_layernorm.weight"));
                double[] g = matvec(w.get(p + "mlp.gate_proj.weight"), m, INTER);
                double[] up = matvec(w.get(p + "mlp.up_proj.weight"), m, INTER);
                for (int c = 0; c < INTER; c++) {
                    g[c] = g[c] / (1 + Math.exp(-g[c])) * up[c];
                }
                next[t] = add(r, matvec(w.get(p + "mlp.down_proj.weight"), g, H));
            }
            x = next;
        }
        double[][] logits = new double[n][];
        float[] head = tied ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
        for (int t = 0; t < n; t++) {
            logits[t] = matvec(head, rms(x[t], w.get("model.norm.weight")), VOCAB);
        }
        return logits;
    }

    static double[] linear(Map<String, float[]> w, String name, double[] a, int out) {
        double[] y = matvec(w.get(name + ".weight"), a, out);
        float[] b = w.get(name + ".bias");
        if (b != null) {
            for (int i = 0; i < out; i++) {
                y[i] += b[i];
            }
        }
        return y;
    }

    static double[] rope(double[] x, int heads, int position) {
        double[] y = x.clone();
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < D / 2; i++) {
                double theta = position * Math.pow(THETA, -2.0 * i / D);
                double a = x[hd * D + i];
                double b = x[hd * D + i + D / 2];
                y[hd * D + i] = a * Math.cos(theta) - b * Math.sin(theta);
                y[hd * D + i + D / 2] = b * Math.cos(theta) + a * Math.sin(theta);
            }
        }
        return y;
    }

    static double[] rms(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + EPS);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * weight[i];
        }
        return y;
    }

    static double[] matvec(float[] m, double[] x, int rows) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < x.length; c++) {
                s += m[r * x.length + c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    static double[] slice(float[] m, int offset, int n) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = m[offset + i];
        }
        return y;
    }
}
