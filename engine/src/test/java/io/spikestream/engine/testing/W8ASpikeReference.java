package io.spikestream.engine.testing;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.tensor.Matrix;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent float64 implementation of REFERENCE.md's W8ASpike forward pass, token by token, with the
 * GLA layers in their recurrent form (S ← diag(e^g) S + k ⊗ v) and plain loops everywhere: the test oracle
 * for post-training quantization and the compact layout. Spiked linears are given as float weights and
 * scales; the codes are round(W / scale) here. It records how close any rounding decision (spike counts,
 * key/value codes) came to a boundary, so a test can tell whether float32 and float64 must agree.
 */
public final class W8ASpikeReference {
    private static final double K = 3.0;

    private final Configuration c;
    private final Map<String, double[][]> floats = new HashMap<>();
    private final Map<String, int[][]> codes = new HashMap<>();
    private final Map<String, double[][]> scales = new HashMap<>();
    /** Smallest distance of a spike or key/value rounding from a .5 boundary seen so far. */
    private double minMargin = Double.POSITIVE_INFINITY;

    private W8ASpikeReference(Configuration c) {
        this.c = c;
    }

    /** Scales of one quantized linear [out][groups]. */
    @FunctionalInterface
    public interface ScaleSource {
        double[][] scales(String linear, int out, int in);
    }

    /**
     * Reads the float tensors of {@code dir}; every spiked linear {@code <name>} gets the codes of its float
     * weight under {@code scaleSource}'s scales. A low-rank GLA gate ({@code gk_proj.0/1}) becomes the dense
     * product gk_proj.1 · gk_proj.0, computed in double and stored as float (as post-training quantization
     * writes it).
     */
    public static W8ASpikeReference of(Path dir, ScaleSource scaleSource) {
        return of(dir, scaleSource, null);
    }

    /**
     * Like {@link #of(Path, ScaleSource)}; with {@code downProjScales}, down_proj's weight is fake-quantized
     * weight-only: round(W / scale) · scale (its input stays float).
     */
    public static W8ASpikeReference of(Path dir, ScaleSource scaleSource, ScaleSource downProjScales) {
        Configuration c = Configuration.load(dir);
        W8ASpikeReference r = new W8ASpikeReference(c);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            int h = c.hiddenSize();
            int d = c.headDim();
            int qDim = c.numHeads() * d;
            int kvDim = c.numKvHeads() * d;
            int inter = c.intermediateSize();
            r.floats.put("emb", read(ckpt, "model.embeddings.weight"));
            r.floats.put("head", read(ckpt, "lm_head.weight"));
            r.floats.put("norm", read(ckpt, "model.norm.weight"));
            for (int i = 0; i < c.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                for (String n : new String[] {"attn_norm.weight", "mlp_norm.weight", "attn.q_proj.bias", "attn.k_proj.bias",
                    "attn.v_proj.bias", "mlp.down_proj.weight"}) {
                    r.floats.put(p + n, read(ckpt, p + n));
                }
                if (downProjScales != null) {
                    double[][] down = r.floats.get(p + "mlp.down_proj.weight");
                    double[][] s = downProjScales.scales(p + "mlp.down_proj", h, inter);
                    int groupSize = inter / s[0].length;
                    for (int o = 0; o < h; o++) {
                        for (int e = 0; e < inter; e++) {
                            down[o][e] = Math.rint(down[o][e] / s[o][e / groupSize]) * s[o][e / groupSize];
                        }
                    }
                }
                r.quantized(ckpt, p + "attn.q_proj", qDim, h, scaleSource);
                r.quantized(ckpt, p + "attn.k_proj", kvDim, h, scaleSource);
                r.quantized(ckpt, p + "attn.v_proj", kvDim, h, scaleSource);
                r.quantized(ckpt, p + "attn.o_proj", h, qDim, scaleSource);
                r.quantized(ckpt, p + "mlp.gate_proj", inter, h, scaleSource);
                r.quantized(ckpt, p + "mlp.up_proj", inter, h, scaleSource);
                if (!c.isAttentionLayer(i)) {
                    r.floats.put(p + "attn.g_norm.weight", read(ckpt, p + "attn.g_norm.weight"));
                    String gate = p + "attn.gk_proj";
                    double[][] w;
                    if (ckpt.tensors().containsKey(gate + ".weight")) {
                        w = read(ckpt, gate + ".weight");
                        r.floats.put(gate + ".bias", read(ckpt, gate + ".bias"));
                    } else {
                        double[][] down = read(ckpt, gate + ".0.weight");
                        double[][] up = read(ckpt, gate + ".1.weight");
                        w = new double[kvDim][h];
                        for (int o = 0; o < kvDim; o++) {
                            for (int col = 0; col < h; col++) {
                                double s = 0;
                                for (int k = 0; k < down.length; k++) {
                                    s += up[o][k] * down[k][col];
                                }
                                w[o][col] = (float) s;
                            }
                        }
                        r.floats.put(gate + ".bias", read(ckpt, gate + ".1.bias"));
                    }
                    r.quantize(gate, w, scaleSource.scales(gate, kvDim, h));
                }
            }
        }
        return r;
    }

    /** Scales as published: {@code <linear>.weight_quantizer.scales} of the checkpoint itself. */
    public static ScaleSource publishedScales(Path dir) {
        return (linear, out, in) -> {
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                TensorInfo t = ckpt.tensors().get(linear + ".weight_quantizer.scales");
                float[] flat = Matrix.readVector(t);
                int groups = flat.length / out;
                double[][] s = new double[out][groups];
                for (int o = 0; o < out; o++) {
                    for (int g = 0; g < groups; g++) {
                        s[o][g] = flat[o * groups + g];
                    }
                }
                return s;
            }
        };
    }

    private void quantized(Checkpoint ckpt, String name, int out, int in, ScaleSource source) {
        quantize(name, read(ckpt, name + ".weight"), source.scales(name, out, in));
    }

    private void quantize(String name, double[][] w, double[][] s) {
        int groupSize = w[0].length / s[0].length;
        int[][] q = new int[w.length][w[0].length];
        for (int o = 0; o < w.length; o++) {
            for (int i = 0; i < w[0].length; i++) {
                q[o][i] = (int) Math.rint(w[o][i] / s[o][i / groupSize]);
            }
        }
        codes.put(name, q);
        scales.put(name, s);
    }

    private static double[][] read(Checkpoint ckpt, String name) {
        TensorInfo t = ckpt.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        if (t.shape().length == 1) {
            float[] v = Matrix.readVector(t);
            double[][] out = new double[1][v.length];
            for (int i = 0; i < v.length; i++) {
                out[0][i] = v[i];
            }
            return out;
        }
        Matrix m = Matrix.map(t);
        double[][] out = new double[m.rows()][m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.widenRow(r, row, 0);
            for (int i = 0; i < row.length; i++) {
                out[r][i] = row[i];
            }
        }
        return out;
    }

    public double minMargin() {
        return minMargin;
    }

    /** Logits [n][V] of the tokens as one document. */
    public double[][] logits(int[] tokens) {
        int h = c.hiddenSize();
        int d = c.headDim();
        int nh = c.numHeads();
        int kv = c.numKvHeads();
        int groups = nh / kv;
        int layers = c.numLayers();
        double[][][][] state = new double[layers][kv][d][d];
        double[][][][] keys = new double[layers][tokens.length][][];
        double[][][][] values = new double[layers][tokens.length][][];
        double[][] out = new double[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            double[] x = c(floats.get("emb")[tokens[t]]);
            for (int i = 0; i < layers; i++) {
                String p = "model.layers." + i + ".";
                double[] a = rms(x, floats.get(p + "attn_norm.weight")[0]);
                double[][] sa = spikes(a, a.length);
                double[] q = linear(p + "attn.q_proj", sa, floats.get(p + "attn.q_proj.bias")[0]);
                double[] k = linear(p + "attn.k_proj", sa, floats.get(p + "attn.k_proj.bias")[0]);
                double[] v = linear(p + "attn.v_proj", sa, floats.get(p + "attn.v_proj.bias")[0]);
                double[] mixed = new double[nh * d];
                if (!c.isAttentionLayer(i)) {
                    double[] g = linear(p + "attn.gk_proj", sa, floats.get(p + "attn.gk_proj.bias")[0]);
                    for (int e = 0; e < g.length; e++) {
                        g[e] = (g[e] >= 0 ? -Math.log1p(Math.exp(-g[e])) : g[e] - Math.log1p(Math.exp(g[e]))) / c.gateLogitNormalizer();
                        k[e] = Math.max(0, k[e]);
                    }
                    for (int e = 0; e < q.length; e++) {
                        q[e] = Math.max(0, q[e]);
                    }
                    for (int j = 0; j < kv; j++) {
                        double[][] s = state[i][j];
                        for (int dk = 0; dk < d; dk++) {
                            double decay = Math.exp(g[j * d + dk]);
                            for (int dv = 0; dv < d; dv++) {
                                s[dk][dv] = decay * s[dk][dv] + k[j * d + dk] * v[j * d + dv];
                            }
                        }
                        for (int hh = j * groups; hh < (j + 1) * groups; hh++) {
                            double[] o = new double[d];
                            for (int dk = 0; dk < d; dk++) {
                                double qs = q[hh * d + dk] / Math.sqrt(d);
                                for (int dv = 0; dv < d; dv++) {
                                    o[dv] += qs * s[dk][dv];
                                }
                            }
                            double[] normed = rms(o, floats.get(p + "attn.g_norm.weight")[0]);
                            System.arraycopy(normed, 0, mixed, hh * d, d);
                        }
                    }
                } else {
                    for (int hh = 0; hh < nh; hh++) {
                        rope(q, hh * d, t);
                    }
                    for (int j = 0; j < kv; j++) {
                        rope(k, j * d, t);
                    }
                    double[][] qs = spikes(q, d); // per head
                    double[] qq = new double[q.length];
                    for (int e = 0; e < q.length; e++) {
                        qq[e] = qs[1][e] * qs[0][e / d];
                    }
                    keys[i][t] = kvQuant(k, kv, d);
                    values[i][t] = kvQuant(v, kv, d);
                    int lo = Math.max(0, t - c.slidingWindow());
                    for (int hh = 0; hh < nh; hh++) {
                        int j = hh / groups;
                        double[] scores = new double[t - lo + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int s = lo; s <= t; s++) {
                            double dot = 0;
                            for (int e = 0; e < d; e++) {
                                dot += qq[hh * d + e] * keys[i][s][0][j * d + e];
                            }
                            scores[s - lo] = dot / Math.sqrt(d);
                            max = Math.max(max, scores[s - lo]);
                        }
                        double sum = 0;
                        for (int s = 0; s < scores.length; s++) {
                            scores[s] = Math.exp(scores[s] - max);
                            sum += scores[s];
                        }
                        for (int s = lo; s <= t; s++) {
                            for (int e = 0; e < d; e++) {
                                mixed[hh * d + e] += scores[s - lo] / sum * values[i][s][0][j * d + e];
                            }
                        }
                    }
                }
                double[] attn = linear(p + "attn.o_proj", spikes(mixed, mixed.length), null);
                for (int e = 0; e < h; e++) {
                    x[e] += attn[e];
                }
                double[] m = rms(x, floats.get(p + "mlp_norm.weight")[0]);
                double[][] sm = spikes(m, m.length);
                double[] gate = linear(p + "mlp.gate_proj", sm, null);
                double[] up = linear(p + "mlp.up_proj", sm, null);
                double[] act = new double[gate.length];
                for (int e = 0; e < act.length; e++) {
                    act[e] = gate[e] / (1 + Math.exp(-gate[e])) * up[e];
                }
                double[][] down = floats.get(p + "mlp.down_proj.weight");
                for (int o = 0; o < h; o++) {
                    double s = 0;
                    for (int e = 0; e < act.length; e++) {
                        s += down[o][e] * act[e];
                    }
                    x[o] += s;
                }
            }
            double[] f = rms(x, floats.get("norm")[0]);
            double[][] head = floats.get("head");
            out[t] = new double[head.length];
            for (int vtok = 0; vtok < head.length; vtok++) {
                double s = 0;
                for (int e = 0; e < h; e++) {
                    s += head[vtok][e] * f[e];
                }
                out[t][vtok] = s;
            }
        }
        return out;
    }

    private static double[] c(double[] v) {
        return v.clone();
    }

    private double[] rms(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + c.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * w[i];
        }
        return out;
    }

    /** {thresholds per segment, counts}: V_th = clamp(mean|x| / 3, 1e-5, 1e4), s = round(x / V_th). */
    private double[][] spikes(double[] x, int segment) {
        double[] vth = new double[x.length / segment];
        double[] s = new double[x.length];
        for (int g = 0; g < vth.length; g++) {
            double sum = 0;
            for (int i = g * segment; i < (g + 1) * segment; i++) {
                sum += Math.abs(x[i]);
            }
            vth[g] = Math.min(1e4, Math.max(1e-5, sum / segment / K));
            for (int i = g * segment; i < (g + 1) * segment; i++) {
                double y = x[i] / vth[g];
                s[i] = Math.rint(y);
                minMargin = Math.min(minMargin, Math.abs(Math.abs(y - Math.floor(y)) - 0.5));
            }
        }
        return new double[][] {vth, s};
    }

    /** y = V_th · Σ_g scale[o][g] Σ_{i∈g} code[o][i] · s[i] + b. */
    private double[] linear(String name, double[][] spikes, double[] bias) {
        int[][] q = codes.get(name);
        double[][] s = scales.get(name);
        int groupSize = q[0].length / s[0].length;
        double[] y = new double[q.length];
        for (int o = 0; o < q.length; o++) {
            double acc = 0;
            for (int g = 0; g < s[o].length; g++) {
                long sum = 0;
                for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                    sum += (long) q[o][i] * (long) spikes[1][i];
                }
                acc += s[o][g] * sum;
            }
            y[o] = spikes[0][0] * acc + (bias == null ? 0 : bias[o]);
        }
        return y;
    }

    /** Per KV head: scale = clamp(max|x| / 127, 1e-5, 1e4), x̂ = clamp(round(x / scale), −128, 127) · scale. */
    private double[][] kvQuant(double[] x, int heads, int d) {
        double[] out = new double[x.length];
        for (int j = 0; j < heads; j++) {
            double max = 0;
            for (int e = j * d; e < (j + 1) * d; e++) {
                max = Math.max(max, Math.abs(x[e]));
            }
            double scale = Math.min(1e4, Math.max(1e-5, max / 127));
            for (int e = j * d; e < (j + 1) * d; e++) {
                double y = x[e] / scale;
                if (Math.abs(y) < 127.5) {
                    minMargin = Math.min(minMargin, Math.abs(Math.abs(y - Math.floor(y)) - 0.5));
                }
                out[e] = Math.max(-128, Math.min(127, Math.rint(y))) * scale;
            }
        }
        return new double[][] {out};
    }

    private void rope(double[] v, int off, int position) {
        int d = c.headDim();
        int half = d / 2;
        for (int i = 0; i < half; i++) {
            double theta = position * Math.pow(c.ropeTheta(), -2.0 * i / d);
            double x1 = v[off + i];
            double x2 = v[off + half + i];
            v[off + i] = x1 * Math.cos(theta) - x2 * Math.sin(theta);
            v[off + half + i] = x2 * Math.cos(theta) + x1 * Math.sin(theta);
        }
    }
}
