package io.spikestream.trainer.model;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingModelTest {
    /** A tiny config: layer 0 GLA, layer 1 SWA with a window shorter than the test sequences. */
    static Configuration tiny() {
        return Configuration.parse("""
                {"model_type": "gla_swa", "hidden_size": 16, "num_attention_heads": 2, "num_key_value_heads": 1,
                 "num_hidden_layers": 2, "intermediate_size": 24, "vocab_size": 20, "sliding_window": 3,
                 "rope_theta": 10000.0, "norm_eps": 1e-6, "attn_layers": [1], "tie_word_embeddings": false}
                """);
    }

    /** Random weights with non-zero biases and norm weights away from 1, so every term is exercised. */
    static Parameters randomized(Configuration c, long seed) {
        Parameters p = Parameters.random(c, seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (String name : p.names()) {
            if (name.endsWith(".bias") || name.endsWith("norm.weight")) {
                double[] v = p.value(name);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (name.endsWith(".bias") ? 0 : 1) + 0.3 * (2 * r.nextDouble() - 1);
                }
            }
        }
        return p;
    }

    @Test
    void theTrainingForwardPassGivesTheReferenceLogits() {
        for (Path fixture : new Path[] {TestData.tinyF32(), TestData.tinyBf16Sharded()}) {
            ExpectedOutputs expected = ExpectedOutputs.read(fixture);
            Parameters p = Parameters.load(fixture);
            double[] logits = new TrainingModel(p).logits(expected.tokens());
            int v = p.config().vocabSize();
            double worst = 0;
            for (int t = 0; t < expected.tokens().length; t++) {
                for (int j = 0; j < v; j++) {
                    worst = Math.max(worst, Math.abs(logits[t * v + j] - expected.logits()[t][j]));
                }
            }
            // float64 on both sides: only the float32 rounding of the stored expected logits remains
            assertThat(worst).as("%s: max |Δlogit| vs the float64 reference", fixture.getFileName()).isLessThan(1e-4);
            try (Engine engine = new Engine(Model.load(fixture), new EngineOptions(1))) {
                float[] engineLogits = engine.advanceWithLogits(engine.newDocument(), expected.tokens()).logits();
                double worstEngine = 0;
                for (int i = 0; i < engineLogits.length; i++) {
                    worstEngine = Math.max(worstEngine, Math.abs(engineLogits[i] - logits[i]));
                }
                assertThat(worstEngine).as("engine (float32) vs training forward").isLessThan(1e-3);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesForEveryTensor() {
        Configuration c = tiny();
        Parameters p = randomized(c, 3);
        TrainingModel model = new TrainingModel(p);
        // 37 tokens: three GLA chunks of 16 (the last partial), several sliding windows of 3
        int[] tokens = new int[37];
        SplittableRandom seq = new SplittableRandom(4);
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = seq.nextInt(c.vocabSize());
        }
        p.zeroGrads();
        model.lossAndGradients(tokens);
        SplittableRandom pick = new SplittableRandom(9);
        int checked = 0;
        double worst = 0;
        for (String name : p.names()) {
            double[] w = p.value(name);
            double[] g = p.grad(name).clone();
            for (int n = 0; n < 4; n++) {
                int i = pick.nextInt(w.length);
                if (name.equals("model.embeddings.weight")) {
                    i = tokens[pick.nextInt(tokens.length)] * c.hiddenSize() + pick.nextInt(c.hiddenSize()); // rows that are used
                }
                double keep = w[i];
                double h = 1e-5;
                w[i] = keep + h;
                double up = model.loss(tokens);
                w[i] = keep - h;
                double down = model.loss(tokens);
                w[i] = keep;
                double numeric = (up - down) / (2 * h);
                // central differences in float64: ~1e-10 of truncation and rounding, far below any real error
                double error = Math.abs(numeric - g[i]);
                assertThat(error).as("%s[%d]: analytic %.9g, numeric %.9g", name, i, g[i], numeric)
                        .isLessThan(1e-8 + 1e-6 * Math.abs(numeric));
                worst = Math.max(worst, error / Math.max(1e-3, Math.abs(numeric)));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(4 * p.names().size());
        assertThat(p.names()).contains("model.layers.0.attn.gk_proj.0.weight", "model.layers.0.attn.g_norm.weight",
                "model.layers.1.attn.q_proj.bias", "lm_head.weight");
    }
}
