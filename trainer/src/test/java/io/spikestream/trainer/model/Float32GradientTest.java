package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;
import io.spikestream.trainer.float32.Float32Model;
import io.spikestream.trainer.float32.Gradients;
import io.spikestream.trainer.float32.Weights;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The float32 passes against the float64 reference on the same weights: logits, loss, and the gradient of
 * every parameter tensor (so of every layer's backward pass), on a tiny model whose head dimension (8) is
 * below the vector width (scalar tails everywhere) and on the demo architecture (16-wide heads, full lanes).
 */
class Float32GradientTest {
    static Configuration demoArchitecture() {
        return Configuration.parse("""
                {"model_type": "gla_swa", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_hidden_layers": 4, "intermediate_size": 192, "vocab_size": 1024, "sliding_window": 64,
                 "rope_theta": 10000.0, "norm_eps": 1e-6, "attn_layers": [1, 3], "tie_word_embeddings": false}
                """);
    }

    static int[] tokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    @Test
    void tinyModelWithScalarTails() {
        check(TrainingModelTest.randomized(TrainingModelTest.tiny(), 3), 37, 13, false);
    }

    @Test
    void demoArchitectureWithFullLanes() {
        check(TrainingModelTest.randomized(demoArchitecture(), 4), 150, 14, false);
    }

    /** Gate biases of −8: each step decays the GLA state by e^{−0.5}, a chunk by e^{−8}; the pairwise decays must stay exact. */
    @Test
    void strongGlaDecays() {
        Parameters p = TrainingModelTest.randomized(demoArchitecture(), 5);
        for (String name : p.names()) {
            if (name.endsWith("gk_proj.1.bias")) {
                java.util.Arrays.fill(p.value(name), -8);
            }
        }
        check(p, 100, 15, false);
    }

    /** With bf16 weights the float32 passes match the float64 model on the same bf16-rounded weights. */
    @Test
    void bf16WeightsAreTheRoundedWeights() {
        check(TrainingModelTest.randomized(demoArchitecture(), 6), 64, 16, true);
    }

    /**
     * Tolerances: float32 rounds each operation by at most 6e-8 relative; a gradient element here sums up to
     * ~10³ products through 4 layers, and the measured relative error of every tensor is 2e-7 .. 3.2e-6 (the
     * largest: layer-2 GLA q_proj, whose gradient passes through the chunked decays). 2e-5 leaves 6x room for other
     * seeds while a wrong term — one chunk's carried state, one window position, a missing bias — gives 1e-3 or more.
     */
    private static void check(Parameters master, int n, long seed, boolean bf16) {
        Configuration c = master.config();
        Parameters p = master;
        if (bf16) { // the reference gets a rounded copy; the float32 passes round the master weights themselves
            p = Parameters.random(c, 0);
            for (String name : p.names()) {
                double[] v = p.value(name);
                double[] m = master.value(name);
                for (int i = 0; i < v.length; i++) {
                    v[i] = io.spikestream.engine.tensor.BF16Matrix.decode(io.spikestream.engine.tensor.BF16Matrix.encode((float) m[i]));
                }
            }
        }
        int[] tokens = tokens(n, c.vocabSize(), seed + 10);
        TrainingModel reference = new TrainingModel(p);
        p.zeroGrads();
        double loss64 = reference.lossAndGradients(tokens);
        double[] logits64 = reference.logits(tokens);

        Weights w = new Weights(master, bf16);
        Float32Model model = new Float32Model(w);
        Gradients g = new Gradients(master);
        double loss32 = model.lossAndGradients(tokens, g);
        float[] logits32 = model.logits(tokens);

        double worst = 0;
        double scaleOfLogits = 0;
        for (int i = 0; i < logits64.length; i++) {
            worst = Math.max(worst, Math.abs(logits32[i] - logits64[i]));
            scaleOfLogits = Math.max(scaleOfLogits, Math.abs(logits64[i]));
        }
        assertThat(worst).as("max |Δlogit| (logits up to %.2f)", scaleOfLogits).isLessThan(2e-5);
        assertThat(Math.abs(loss32 - loss64) / loss64).as("relative loss difference").isLessThan(1e-6);
        for (String name : p.names()) {
            double[] g64 = p.grad(name);
            float[] g32 = g.grad(name);
            double diff = 0, norm = 0;
            for (int i = 0; i < g64.length; i++) {
                diff += (g32[i] - g64[i]) * (g32[i] - g64[i]);
                norm += g64[i] * g64[i];
            }
            assertThat(norm).as("%s: the reference gradient is not zero", name).isGreaterThan(0);
            assertThat(Math.sqrt(diff / norm)).as("%s: ‖g32 − g64‖ / ‖g64‖", name).isLessThan(2e-5);
        }
    }
}
