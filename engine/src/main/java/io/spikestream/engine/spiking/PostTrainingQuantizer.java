package io.spikestream.engine.spiking;

import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.DenseLinear;
import io.spikestream.engine.model.FeedForward;
import io.spikestream.engine.model.SoftmaxBranch;
import io.spikestream.engine.model.GlaGate;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Linear;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.ModelFingerprint;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.model.Weights;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.Q8Matrix;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Post-training quantization of a float {@code gla_swa} model into W8ASpike: every projection REFERENCE.md
 * spikes gets absmax/127 scales per output row and group of {@code groupSize} inputs and the codes
 * round(W / scale); a low-rank GLA gate becomes its dense product {@code gk_proj.1 · gk_proj.0} first.
 * down_proj is not spiked (its input is the float silu(gate) ⊙ up); with {@code int8DownProj} its weight is
 * quantized weight-only the same way ({@link Q8Matrix}: the model then uses code · scale), else it stays as
 * it is. Embeddings, norms and lm_head stay as they are.
 */
public final class PostTrainingQuantizer {
    private PostTrainingQuantizer() {
    }

    public static Model quantize(Model source, int groupSize) {
        return quantize(source, groupSize, false);
    }

    public static Model quantize(Model source, int groupSize, boolean int8DownProj) {
        if (source.spiking()) {
            throw new IllegalArgumentException("the model is already W8ASpike");
        }
        Weights w = source.weights();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < w.layers().size(); i++) {
            LayerWeights lw = w.layers().get(i);
            AttentionWeights a = lw.attention();
            String p = "model.layers." + i + ".";
            GlaGate gate = null;
            if (a.gate() instanceof GlaGate.LowRank lr) {
                gate = new GlaGate.Dense(spiking(p + "attn.gk_proj", new DenseLinear(product(lr.up(), lr.down())), groupSize), lr.bias());
            } else if (a.gate() instanceof GlaGate.Dense d) {
                gate = new GlaGate.Dense(spiking(p + "attn.gk_proj", d.linear(), groupSize), d.bias());
            }
            SoftmaxBranch sa = a.softmax();
            String la = sa == null ? p + "attn." : p + "attn.la.";
            AttentionWeights qa = new AttentionWeights(
                    spiking(la + "q_proj", a.q(), groupSize), a.qBias(),
                    spiking(la + "k_proj", a.k(), groupSize), a.kBias(),
                    spiking(la + "v_proj", a.v(), groupSize), a.vBias(),
                    spiking(p + "attn.o_proj", a.o(), groupSize), gate, a.gNorm(), sa == null ? null : new SoftmaxBranch(
                            spiking(p + "attn.sa.q_proj", sa.q(), groupSize), sa.qBias(),
                            spiking(p + "attn.sa.k_proj", sa.k(), groupSize), sa.kBias(),
                            spiking(p + "attn.sa.v_proj", sa.v(), groupSize), sa.vBias(), sa.norm()));
            layers.add(new LayerWeights(lw.attnNorm(), qa, lw.mlpNorm(), feedForward(p + "mlp.", lw.ffn(), groupSize, int8DownProj)));
        }
        Weights quantized = new Weights(w.embeddings(), layers, w.norm(), w.lmHead(), w.sinks());
        return Model.fromWeights(source.config(), quantized, fingerprint(source.fingerprint(), groupSize, int8DownProj));
    }

    /**
     * A W8ASpike model whose down_proj weights are stored weight-only in int8 (absmax/127 per row and group):
     * half the bytes of bf16, but no longer the published weights bit for bit (a lossy choice for memory).
     */
    public static Model withWeightOnlyDownProj(Model model, int groupSize) {
        if (model.config().moe() != null) {
            throw new IllegalArgumentException("weight-only down projections of a W8ASpike spikingbrain_moe model are made by quantize(model, "
                    + "groupSize, true) from its float model");
        }
        if (!model.spiking()) {
            throw new IllegalArgumentException("the model is float: quantize it with quantize(model, groupSize, true)");
        }
        Weights w = model.weights();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < w.layers().size(); i++) {
            LayerWeights lw = w.layers().get(i);
            layers.add(new LayerWeights(lw.attnNorm(), lw.attention(), lw.mlpNorm(), lw.gateProj(), lw.upProj(),
                    lw.downProj() instanceof Q8Matrix ? lw.downProj() : weightOnly("model.layers." + i + ".mlp.down_proj", lw.downProj(), groupSize)));
        }
        return Model.fromWeights(model.config(), new Weights(w.embeddings(), layers, w.norm(), w.lmHead()),
                fingerprint(model.fingerprint(), groupSize, true));
    }

    /**
     * A feed-forward part in W8ASpike: gate and up (and a router) spiked, down as it is or weight-only int8, for every
     * routed and shared expert.
     */
    private static FeedForward feedForward(String p, FeedForward ffn, int groupSize, boolean int8DownProj) {
        if (ffn instanceof FeedForward.SwiGlu sg) {
            return new FeedForward.SwiGlu(spiking(p + "gate_proj", sg.gate(), groupSize), spiking(p + "up_proj", sg.up(), groupSize),
                    int8DownProj ? weightOnly(p + "down_proj", sg.down(), groupSize) : sg.down());
        }
        FeedForward.MixtureOfExperts moe = (FeedForward.MixtureOfExperts) ffn;
        List<FeedForward.SwiGlu> experts = new ArrayList<>();
        for (int e = 0; e < moe.experts().size(); e++) {
            experts.add((FeedForward.SwiGlu) feedForward(p + "experts." + e + ".", moe.experts().get(e), groupSize, int8DownProj));
        }
        List<FeedForward.SwiGlu> shared = new ArrayList<>();
        for (int j = 0; j < moe.shared().size(); j++) {
            shared.add((FeedForward.SwiGlu) feedForward(p + "shared_experts." + j + ".", moe.shared().get(j), groupSize, int8DownProj));
        }
        return new FeedForward.MixtureOfExperts(spiking(p + "router", moe.router(), groupSize), experts, moe.topK(), shared);
    }

    private static Linear spiking(String name, Linear linear, int groupSize) {
        if (!(linear instanceof DenseLinear dense)) {
            throw new IllegalArgumentException(name + " is not a float projection");
        }
        Matrix m = dense.weight();
        if (m.cols() % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide the " + m.cols() + " input features of "
                    + name + " [" + m.rows() + ", " + m.cols() + "]");
        }
        float[] scales = WeightQuantizer.absmaxScales(m, groupSize);
        return new SpikingLinear(WeightQuantizer.quantize(m, scales, groupSize, name + ".weight"));
    }

    /** up · down in double, rounded to float once: the dense [kv·D, H] gate of a low-rank one. */
    static Matrix product(Matrix up, Matrix down) {
        int rows = up.rows();
        int rank = up.cols();
        int cols = down.cols();
        float[] u = new float[rank];
        float[][] d = new float[rank][cols];
        for (int r = 0; r < rank; r++) {
            down.widenRow(r, d[r], 0);
        }
        float[] out = new float[rows * cols];
        for (int o = 0; o < rows; o++) {
            up.widenRow(o, u, 0);
            for (int c = 0; c < cols; c++) {
                double s = 0;
                for (int r = 0; r < rank; r++) {
                    s += (double) u[r] * d[r][c];
                }
                out[o * cols + c] = (float) s;
            }
        }
        return Matrix.fromFloats(DType.F32, rows, cols, out);
    }

    private static Matrix weightOnly(String name, Matrix m, int groupSize) {
        if (m.cols() % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " does not divide the " + m.cols() + " input features of "
                    + name + " [" + m.rows() + ", " + m.cols() + "]");
        }
        return Q8Matrix.quantize(m, groupSize, WeightQuantizer.absmaxScales(m, groupSize), name + ".weight");
    }

    private static ModelFingerprint fingerprint(ModelFingerprint source, int groupSize, boolean int8DownProj) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("w8aspike-ptq/1;absmax;group=" + groupSize + ";down=" + (int8DownProj ? "int8" : "float") + ";")
                    .getBytes(StandardCharsets.UTF_8));
            sha.update(source.bytes());
            return new ModelFingerprint(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
