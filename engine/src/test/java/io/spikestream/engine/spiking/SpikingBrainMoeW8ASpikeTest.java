package io.spikestream.engine.spiking;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.DenseLinear;
import io.spikestream.engine.model.FeedForward;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Linear;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.MoeLayout;
import io.spikestream.engine.model.SoftmaxBranch;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.model.Weights;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.SpikeWeights;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.Runs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * W8ASpike on the spikingbrain_moe layout: the fixture quantized post-training (groups of 16), every projection
 * spiked — both branches, the router, every routed and shared expert's gate and up, the dense layer's — and the
 * down projections float, as in the 7B's rules. Its logits against a float64 fake-quant forward pass written
 * here from REFERENCE.md (the sinks included: they are spiked too); the compact layout it is written in loads
 * with the same bits; spike statistics count one site per shared input.
 */
class SpikingBrainMoeW8ASpikeTest {
    private static final Path FIXTURE = TestData.fixture("tiny-spikingbrain-moe-f32");

    @Test
    void logitsMatchAFloat64FakeQuantReference() {
        int[] tokens = Arrays.copyOf(ExpectedOutputs.read(FIXTURE).tokens(), 24);
        try (Model source = Model.load(FIXTURE); Parallel parallel = new Parallel(2)) {
            Model model = PostTrainingQuantizer.quantize(source, 16);
            assertThat(model.spiking()).isTrue();
            assertThat(model.weights().layers().get(1).ffn()).isInstanceOfSatisfying(FeedForward.MixtureOfExperts.class,
                    moe -> assertThat(moe.router()).isInstanceOf(SpikingLinear.class));
            Model.Result r = model.forward(model.newState(), tokens, 0, tokens.length, true, parallel);
            double[][] expected = new Reference(model).logits(tokens);
            int vocab = model.config().vocabSize();
            double worst = 0;
            for (int t = 0; t < tokens.length; t++) {
                for (int c = 0; c < vocab; c++) {
                    worst = Math.max(worst, Math.abs(r.logits()[t * vocab + c] - expected[t][c]));
                }
            }
            assertThat(worst).as("max |logit - float64 fake-quant reference|").isLessThan(1e-3);
            // one attention-input site, one o_proj-input site and one MLP-input site per layer, every token
            SpikeStatistics stats = r.spikes();
            assertThat(model.spikeSites()).hasSize(3 * model.config().numLayers());
            long perToken = 0;
            for (SpikeSite s : model.spikeSites()) {
                perToken += s.width();
            }
            assertThat(stats.activations()).isEqualTo(perToken * tokens.length);
        }
    }

    @Test
    void theCompactLayoutAndAnyChunkingGiveTheSameBits(@TempDir Path tmp) throws Exception {
        int[] tokens = ExpectedOutputs.read(FIXTURE).tokens();
        try (Model source = Model.load(FIXTURE)) {
            Model model = PostTrainingQuantizer.quantize(source, 16, true);
            CompactWriter.write(model, tmp);
            Files.copy(FIXTURE.resolve("config.json"), tmp.resolve("config.json"));
            try (Engine inMemory = new Engine(model, new EngineOptions(1)); Engine loaded = Engine.load(tmp, new EngineOptions(2))) {
                Runs.Output whole = Runs.whole(inMemory, tokens);
                assertThat(Runs.whole(loaded, tokens).sameBits(whole)).as("compact layout, 2 threads").isTrue();
                assertThat(Runs.run(loaded, tokens, p -> 1, Set.of(5)).sameBits(whole)).as("decode, restored after 5").isTrue();
                assertThat(Runs.run(inMemory, tokens, p -> 7, Set.of(1, 16)).sameBits(whole)).as("chunks of 7").isTrue();
            }
        }
    }

    /** The forward pass of REFERENCE.md's spikingbrain_moe section in double, every projection but down fake-quantized. */
    private static final class Reference {
        private final Model model;
        private final Configuration c;
        private final MoeLayout moe;
        private final int h;
        private final int d;
        private final int nh;
        private final int kv;
        private final int groups;

        Reference(Model model) {
            this.model = model;
            this.c = model.config();
            this.moe = c.moe();
            this.h = c.hiddenSize();
            this.d = c.headDim();
            this.nh = c.numHeads();
            this.kv = c.numKvHeads();
            this.groups = nh / kv;
        }

        double[][] logits(int[] tokens) {
            Weights w = model.weights();
            int s = moe.sinkTokens();
            int rows = s + tokens.length;
            double[][] x = new double[rows][];
            for (int r = 0; r < rows; r++) {
                x[r] = row(r < s ? w.sinks() : w.embeddings(), r < s ? r : tokens[r - s]);
            }
            for (int i = 0; i < c.numLayers(); i++) {
                x = layer(i, w.layers().get(i), x, s);
            }
            double[][] out = new double[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                double[] f = rms(x[s + t], w.norm());
                out[t] = new double[c.vocabSize()];
                for (int v = 0; v < c.vocabSize(); v++) {
                    out[t][v] = dot(row(w.lmHead(), v), f);
                }
            }
            return out;
        }

        private double[][] layer(int i, LayerWeights lw, double[][] x, int sinks) {
            AttentionWeights aw = lw.attention();
            SoftmaxBranch sa = aw.softmax();
            int rows = x.length;
            double[][] a = new double[rows][];
            double[][] q = new double[rows][];
            double[][] k = new double[rows][];
            double[][] v = new double[rows][];
            double[][] sq = new double[rows][];
            double[][] sk = new double[rows][];
            double[][] sv = new double[rows][];
            for (int r = 0; r < rows; r++) {
                a[r] = rms(x[r], lw.attnNorm());
                q[r] = sigmoid(linear(aw.q(), a[r], aw.qBias()));
                k[r] = sigmoid(linear(aw.k(), a[r], aw.kBias()));
                v[r] = linear(aw.v(), a[r], aw.vBias());
                sq[r] = rope(linear(sa.q(), a[r], sa.qBias()), r, nh);
                sk[r] = rope(linear(sa.k(), a[r], sa.kBias()), r, kv);
                sv[r] = linear(sa.v(), a[r], sa.vBias());
            }
            double[][] mixed = new double[rows][nh * d];
            double[][][] state = new double[kv][d][d];
            double scale = 1 / Math.sqrt(d);
            boolean full = moe.isFullAttentionLayer(i);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < kv; j++) {
                    for (int dk = 0; dk < d; dk++) {
                        for (int dv = 0; dv < d; dv++) {
                            state[j][dk][dv] = (1 - k[r][j * d + dk]) * state[j][dk][dv] + k[r][j * d + dk] * v[r][j * d + dv];
                        }
                    }
                }
                for (int hh = 0; hh < nh; hh++) {
                    int j = hh / groups;
                    double[] o = new double[d];
                    for (int dv = 0; dv < d; dv++) {
                        for (int dk = 0; dk < d; dk++) {
                            o[dv] += q[r][hh * d + dk] * scale * state[j][dk][dv];
                        }
                    }
                    double[] la = rms(o, aw.gNorm());
                    // softmax branch: a sink attends every sink; a document row the sinks and its window (or all)
                    int lo = r < sinks ? 0 : full ? sinks : Math.max(sinks, r - c.slidingWindow());
                    int hi = r < sinks ? sinks - 1 : r;
                    double[] scores = new double[sinks + hi - lo + 1];
                    int[] at = new int[scores.length];
                    int n = 0;
                    if (r >= sinks) {
                        for (int cc = 0; cc < sinks; cc++) {
                            at[n++] = cc;
                        }
                    }
                    for (int cc = lo; cc <= hi; cc++) {
                        at[n++] = cc;
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int e = 0; e < n; e++) {
                        double sc = 0;
                        for (int z = 0; z < d; z++) {
                            sc += sq[r][hh * d + z] * sk[at[e]][j * d + z];
                        }
                        scores[e] = sc * scale;
                        max = Math.max(max, scores[e]);
                    }
                    double total = 0;
                    for (int e = 0; e < n; e++) {
                        scores[e] = Math.exp(scores[e] - max);
                        total += scores[e];
                    }
                    double[] os = new double[d];
                    for (int e = 0; e < n; e++) {
                        for (int z = 0; z < d; z++) {
                            os[z] += scores[e] / total * sv[at[e]][j * d + z];
                        }
                    }
                    double[] sn = rms(os, sa.norm());
                    for (int z = 0; z < d; z++) {
                        mixed[r][hh * d + z] = la[z] + sn[z];
                    }
                }
            }
            double[][] next = new double[rows][];
            for (int r = 0; r < rows; r++) {
                double[] res = add(x[r], linear(aw.o(), mixed[r], null));
                double[] m = rms(res, lw.mlpNorm());
                next[r] = add(res, ffn(lw.ffn(), m));
            }
            return next;
        }

        private double[] ffn(FeedForward f, double[] m) {
            if (f instanceof FeedForward.SwiGlu sg) {
                double[] g = linear(sg.gate(), m, null);
                double[] u = linear(sg.up(), m, null);
                for (int z = 0; z < g.length; z++) {
                    g[z] = g[z] / (1 + Math.exp(-g[z])) * u[z];
                }
                double[] out = new double[h];
                for (int o = 0; o < h; o++) {
                    out[o] = dot(row(sg.down(), o), g);
                }
                return out;
            }
            FeedForward.MixtureOfExperts mx = (FeedForward.MixtureOfExperts) f;
            double[] p = sigmoid(linear(mx.router(), m, null));
            boolean[] chosen = new boolean[p.length];
            for (int r = 0; r < mx.topK(); r++) {
                int best = -1;
                for (int e = 0; e < p.length; e++) {
                    if (!chosen[e] && (best < 0 || p[e] > p[best])) {
                        best = e;
                    }
                }
                chosen[best] = true;
            }
            double[] out = new double[h];
            for (int e = 0; e < p.length; e++) {
                if (chosen[e]) {
                    double[] y = ffn(mx.experts().get(e), m);
                    for (int z = 0; z < h; z++) {
                        out[z] += p[e] * y[z];
                    }
                }
            }
            for (FeedForward.SwiGlu sh : mx.shared()) {
                out = add(out, ffn(sh, m));
            }
            return out;
        }

        /** W8ASpike's QuantLinear: V_th = clamp(mean|x| / 3, 1e-5, 1e4), s = round(x / V_th), y = V_th Σ_g scale Σ code·s + b. */
        private double[] linear(Linear l, double[] x, float[] bias) {
            double[] y = new double[l.rows()];
            if (l instanceof SpikingLinear sl) {
                SpikeWeights sw = sl.weight();
                double mean = 0;
                for (double xi : x) {
                    mean += Math.abs(xi);
                }
                double vth = Math.min(Math.max(mean / x.length / 3, 1e-5), 1e4);
                double[] s = new double[x.length];
                for (int z = 0; z < x.length; z++) {
                    s[z] = Math.rint(x[z] / vth);
                }
                for (int o = 0; o < l.rows(); o++) {
                    double sum = 0;
                    for (int g = 0; g < sw.groups(); g++) {
                        long codes = 0;
                        for (int z = g * sw.groupSize(); z < (g + 1) * sw.groupSize(); z++) {
                            codes += (long) sw.code(o, z) * (long) s[z];
                        }
                        sum += sw.scale(o, g) * (double) codes;
                    }
                    y[o] = vth * sum + (bias == null ? 0 : bias[o]);
                }
                return y;
            }
            Matrix m = ((DenseLinear) l).weight();
            for (int o = 0; o < l.rows(); o++) {
                y[o] = dot(row(m, o), x) + (bias == null ? 0 : bias[o]);
            }
            return y;
        }

        private double[] rope(double[] x, int position, int heads) {
            double[] out = x.clone();
            int half = d / 2;
            for (int hh = 0; hh < heads; hh++) {
                for (int z = 0; z < half; z++) {
                    double angle = position * Math.pow(c.ropeTheta(), -2.0 * z / d);
                    double x1 = x[hh * d + z];
                    double x2 = x[hh * d + half + z];
                    out[hh * d + z] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
                    out[hh * d + half + z] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
                }
            }
            return out;
        }

        private double[] rms(double[] x, float[] w) {
            double ss = 0;
            for (double xi : x) {
                ss += xi * xi;
            }
            double inv = 1 / Math.sqrt(ss / x.length + c.normEps());
            double[] out = new double[x.length];
            for (int z = 0; z < x.length; z++) {
                out[z] = x[z] * inv * w[z];
            }
            return out;
        }

        private static double[] sigmoid(double[] x) {
            double[] out = new double[x.length];
            for (int z = 0; z < x.length; z++) {
                out[z] = 1 / (1 + Math.exp(-x[z]));
            }
            return out;
        }

        private static double[] add(double[] a, double[] b) {
            double[] out = a.clone();
            for (int z = 0; z < out.length; z++) {
                out[z] += b[z];
            }
            return out;
        }

        private static double dot(double[] a, double[] b) {
            double s = 0;
            for (int z = 0; z < a.length; z++) {
                s += a[z] * b[z];
            }
            return s;
        }

        private static double[] row(Matrix m, int r) {
            float[] f = new float[m.cols()];
            m.widenRow(r, f, 0);
            double[] out = new double[f.length];
            for (int z = 0; z < f.length; z++) {
                out[z] = f[z];
            }
            return out;
        }
    }
}
