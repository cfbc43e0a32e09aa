package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.kernels.Rope;

/**
 * The constants a spikingbrain_moe model computes once at load: the S sink rows never see a document, so
 * per layer their softmax keys (after RoPE at positions 0 … S−1) and values, and the linear branch's state
 * after them — the state every document starts from — are the same for every document. The sinks attend
 * one another without a causal mask; their recurrences and softmaxes run in double here (projections in the
 * float kernels every pass uses).
 */
final class SinkPrefix {
    private final int sinks;
    private final float[][] keys;
    private final float[][] values;
    private final float[][] linearStates;

    private SinkPrefix(int sinks, float[][] keys, float[][] values, float[][] linearStates) {
        this.sinks = sinks;
        this.keys = keys;
        this.values = values;
        this.linearStates = linearStates;
    }

    int sinks() {
        return sinks;
    }

    /** Layer i's sink keys after RoPE, S×(kv·D). */
    float[] keys(int layer) {
        return keys[layer];
    }

    /** Layer i's sink values, S×(kv·D). */
    float[] values(int layer) {
        return values[layer];
    }

    /** Layer i's linear-branch state after the sinks, [kv][D key][D value]. */
    float[] linearState(int layer) {
        return linearStates[layer];
    }

    /** Bytes these constants occupy. */
    long bytes() {
        long total = 0;
        for (int i = 0; i < keys.length; i++) {
            total += 4L * (keys[i].length + values[i].length + linearStates[i].length);
        }
        return total;
    }

    static SinkPrefix compute(Configuration config, Weights weights, Rope rope, Parallel parallel) {
        int s = config.moe().sinkTokens();
        int layers = config.numLayers();
        int h = config.hiddenSize();
        int d = config.headDim();
        int nh = config.numHeads();
        int kv = config.numKvHeads();
        int groups = nh / kv;
        int qDim = nh * d;
        int kvDim = kv * d;
        double eps = config.normEps();
        float[][] keys = new float[layers][s * kvDim];
        float[][] values = new float[layers][s * kvDim];
        float[][] states = new float[layers][kv * d * d];
        if (s == 0) {
            return new SinkPrefix(0, keys, values, states);
        }
        FeedForward.Scratch scratch = new FeedForward.Scratch(s, h, weights.layers().stream().map(LayerWeights::ffn).toList());
        float[] x = new float[s * h];
        weights.sinks().widenRows(0, s, x, 0);
        float[] a = new float[s * h];
        float[] q = new float[s * qDim];
        float[] k = new float[s * kvDim];
        float[] v = new float[s * kvDim];
        float[] sq = new float[s * qDim];
        float[] mixed = new float[s * qDim];
        float[] proj = new float[s * h];
        float[] cos = new float[d / 2];
        float[] sin = new float[d / 2];
        double scale = 1.0 / Math.sqrt(d);
        for (int i = 0; i < layers; i++) {
            LayerWeights lw = weights.layers().get(i);
            AttentionWeights aw = lw.attention();
            SoftmaxBranch sa = aw.softmax();
            RmsNorm.rows(x, lw.attnNorm(), eps, a, 0, s, h, parallel);
            LinearInput in = new LinearInput(a, 0, s, h, null, -1);
            aw.q().apply(in, aw.qBias(), q, parallel);
            aw.k().apply(in, aw.kBias(), k, parallel);
            aw.v().apply(in, aw.vBias(), v, parallel);
            sa.q().apply(in, sa.qBias(), sq, parallel);
            sa.k().apply(in, sa.kBias(), keys[i], parallel);
            sa.v().apply(in, sa.vBias(), values[i], parallel);
            for (int r = 0; r < s; r++) {
                rope.angles(r, cos, sin, 0);
                for (int hh = 0; hh < nh; hh++) {
                    rope.rotate(sq, r * qDim + hh * d, cos, sin, 0);
                }
                for (int j = 0; j < kv; j++) {
                    rope.rotate(keys[i], r * kvDim + j * d, cos, sin, 0);
                }
            }
            float[] head = new float[d];
            // Linear branch: S_j ← diag(1 − k_j) S_j + k_j ⊗ v_j row by row, read after the update.
            double[] state = new double[kv * d * d];
            for (int r = 0; r < s; r++) {
                for (int j = 0; j < kv; j++) {
                    for (int dk = 0; dk < d; dk++) {
                        double kk = sigmoid(k[r * kvDim + j * d + dk]);
                        int row = (j * d + dk) * d;
                        for (int dv = 0; dv < d; dv++) {
                            state[row + dv] = (1 - kk) * state[row + dv] + kk * v[r * kvDim + j * d + dv];
                        }
                    }
                    for (int hh = j * groups; hh < (j + 1) * groups; hh++) {
                        for (int dv = 0; dv < d; dv++) {
                            double o = 0;
                            for (int dk = 0; dk < d; dk++) {
                                o += sigmoid(q[r * qDim + hh * d + dk]) * scale * state[(j * d + dk) * d + dv];
                            }
                            head[dv] = (float) o;
                        }
                        RmsNorm.apply(head, 0, aw.gNorm(), eps, mixed, r * qDim + hh * d, d);
                    }
                }
            }
            for (int c = 0; c < states[i].length; c++) {
                states[i][c] = (float) state[c];
            }
            // Softmax branch: every sink attends every sink.
            double[] w = new double[s];
            for (int r = 0; r < s; r++) {
                for (int hh = 0; hh < nh; hh++) {
                    int j = hh / groups;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < s; c++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += (double) sq[r * qDim + hh * d + e] * keys[i][c * kvDim + j * d + e];
                        }
                        w[c] = dot * scale;
                        max = Math.max(max, w[c]);
                    }
                    double total = 0;
                    for (int c = 0; c < s; c++) {
                        w[c] = StrictMath.exp(w[c] - max);
                        total += w[c];
                    }
                    for (int e = 0; e < d; e++) {
                        double o = 0;
                        for (int c = 0; c < s; c++) {
                            o += w[c] * values[i][c * kvDim + j * d + e];
                        }
                        head[e] = (float) (o / total);
                    }
                    RmsNorm.apply(head, 0, sa.norm(), eps, proj, 0, d);
                    for (int e = 0; e < d; e++) {
                        mixed[r * qDim + hh * d + e] += proj[e];
                    }
                }
            }
            aw.o().apply(new LinearInput(mixed, 0, s, qDim, null, -1), null, proj, parallel);
            Axpy.add(proj, 0, x, 0, s * h);
            RmsNorm.rows(x, lw.mlpNorm(), eps, a, 0, s, h, parallel);
            lw.ffn().apply(new LinearInput(a, 0, s, h, null, -1), proj, scratch, parallel);
            Axpy.add(proj, 0, x, 0, s * h);
        }
        return new SinkPrefix(s, keys, values, states);
    }

    private static double sigmoid(float z) {
        return 1.0 / (1.0 + StrictMath.exp(-(double) z));
    }
}
