package io.spikestream.trainer.convert;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.FeedForward;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.Weights;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.trainer.testing.TinyTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code convert --to-layout spikingbrain_moe} on a tiny random Qwen2 checkpoint written by the test. What is exact
 * is checked exactly: the copies (both branches from the source attention, the dense layer's MLP), the upcycled
 * experts (the MLP times α, α by hand), the configuration; and the property that makes upcycling neutral to
 * routing — the experts are interchangeable, so permuting the router's rows leaves every logit's bits unchanged.
 */
class MoeConverterTest {
    @TempDir
    Path tmp;

    @Test
    void theUpcyclingScaleIsTheReportsFormula() {
        // (1 / (1 + 1/16))^(1/3) = (16/17)^(1/3) = 0.9799946…: the report's 0.98
        assertThat(MoeConverter.upcyclingScale(1, 1, 16)).isCloseTo(0.9799946, within(1e-6));
        // (1 / (1 + 1/4))^(1/3) = 0.8^(1/3) = 0.928317…
        assertThat(MoeConverter.upcyclingScale(1, 1, 4)).isCloseTo(0.9283178, within(1e-6));
        assertThat(MoeConverter.everySeventh(28)).containsExactly(6, 13, 20, 27);
        assertThat(MoeConverter.everySeventh(3)).containsExactly(2);
    }

    @Test
    void copiesBothBranchesAndTheDenseMlpAndUpcyclesTheOthers() throws Exception {
        Map<String, float[]> src = TinyTransformer.write(tmp.resolve("src"), "qwen2", true, false, 42);
        Configuration c = MoeConverter.convert(tmp.resolve("src"), tmp.resolve("dst"),
                new MoeConverter.Options(new int[] {2}, new int[] {0}, 64, 4, 4, 1, 1, 9));
        assertThat(c.modelType()).isEqualTo("spikingbrain_moe");
        assertThat(c.moe().fullAttentionLayers()).containsExactly(2);
        assertThat(c.moe().denseLayers()).containsExactly(0);
        float alpha = (float) 0.9283177667225558; // 0.8^(1/3)
        try (Checkpoint out = Checkpoint.open(tmp.resolve("dst"))) {
            for (int i = 0; i < TinyTransformer.LAYERS; i++) {
                String s = "model.layers." + i + ".";
                for (String branch : new String[] {"la", "sa"}) {
                    for (String p : new String[] {"q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias"}) {
                        assertThat(floats(out, s + "attn." + branch + "." + p)).as(s + branch + p).isEqualTo(src.get(s + "self_attn." + p));
                    }
                    assertThat(floats(out, s + "attn." + branch + ".norm.weight")).containsOnly(1f);
                }
                assertThat(floats(out, s + "attn.o_proj.weight")).isEqualTo(src.get(s + "self_attn.o_proj.weight"));
                for (String p : new String[] {"gate_proj.weight", "up_proj.weight", "down_proj.weight"}) {
                    float[] mlp = src.get(s + "mlp." + p);
                    if (i == 0) {
                        assertThat(floats(out, s + "mlp." + p)).isEqualTo(mlp);
                        continue;
                    }
                    float[] scaled = new float[mlp.length];
                    for (int k = 0; k < mlp.length; k++) {
                        scaled[k] = mlp[k] * alpha;
                    }
                    for (String e : new String[] {"experts.0.", "experts.1.", "experts.2.", "experts.3.", "shared_experts.0."}) {
                        assertThat(floats(out, s + "mlp." + e + p)).as(s + e + p).isEqualTo(scaled);
                    }
                }
                assertThat(out.tensors().containsKey(s + "mlp.router.weight")).isEqualTo(i != 0);
            }
            assertThat(out.tensors().get("model.sink_embeddings").shape()).containsExactly(4, TinyTransformer.H);
        }
    }

    @Test
    void upcycledExpertsAreInterchangeable() throws Exception {
        TinyTransformer.write(tmp.resolve("src"), "qwen2", true, false, 5);
        MoeConverter.convert(tmp.resolve("src"), tmp.resolve("dst"), new MoeConverter.Options(null, new int[] {0}, 4, 3, 4, 1, 1, 11));
        int[] tokens = {3, 17, 5, 5, 49, 0, 23, 8, 11, 30, 2, 41, 7, 7, 19};
        try (Model model = Model.load(tmp.resolve("dst")); Parallel parallel = new Parallel(1)) {
            float[] logits = model.forward(model.newState(), tokens, 0, tokens.length, true, parallel).logits();
            assertThat(logits).doesNotContain(Float.NaN);
            Weights w = model.weights();
            List<LayerWeights> permuted = new ArrayList<>();
            for (LayerWeights lw : w.layers()) {
                if (lw.ffn() instanceof FeedForward.MixtureOfExperts moe) {
                    // the router's rows rotated: each token goes to another (identical) expert with the same score
                    Matrix r = ((io.spikestream.engine.model.DenseLinear) moe.router()).weight();
                    float[] rows = new float[r.rows() * r.cols()];
                    for (int e = 0; e < r.rows(); e++) {
                        r.widenRow((e + 1) % r.rows(), rows, e * r.cols());
                    }
                    lw = new LayerWeights(lw.attnNorm(), lw.attention(), lw.mlpNorm(), new FeedForward.MixtureOfExperts(
                            new io.spikestream.engine.model.DenseLinear(Matrix.fromFloats(DType.F32, r.rows(), r.cols(), rows)), moe.experts(),
                            moe.topK(), moe.shared()));
                }
                permuted.add(lw);
            }
            Model other = Model.fromWeights(model.config(), new Weights(w.embeddings(), permuted, w.norm(), w.lmHead(), w.sinks()),
                    model.fingerprint());
            assertThat(other.forward(other.newState(), tokens, 0, tokens.length, true, parallel).logits()).isEqualTo(logits);
        }
    }

    private static float[] floats(Checkpoint c, String name) {
        if (c.tensors().get(name).shape().length == 1) {
            return Matrix.readVector(c.tensors().get(name));
        }
        Matrix m = Matrix.map(c.tensors().get(name));
        float[] v = new float[m.rows() * m.cols()];
        m.widenRows(0, m.rows(), v, 0);
        return v;
    }
}
