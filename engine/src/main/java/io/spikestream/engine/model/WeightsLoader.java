package io.spikestream.engine.model;

import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.TensorInfo;
import io.spikestream.engine.spiking.CompactLayout;
import io.spikestream.engine.spiking.WeightQuantizer;
import io.spikestream.engine.tensor.Matrix;
import io.spikestream.engine.tensor.Q8Matrix;
import io.spikestream.engine.tensor.SpikeWeights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds checkpoint tensors to the architecture: every tensor the configuration implies must exist with
 * exactly the expected shape, or loading fails naming the tensor, the expected and the found shape.
 *
 * <p>Three layouts load: float weights; a W8ASpike checkpoint as published (float weights with
 * {@code <linear>.weight_quantizer.scales}: the codes {@code round(W / scale)} are computed here, row
 * block by row block); and SpikeStream's compact W8ASpike layout ({@link CompactLayout}: codes memory-mapped
 * as stored). Both W8ASpike layouts give the same weights, hence the same logits.
 */
public final class WeightsLoader {
    /** How a checkpoint stores its projections. */
    public enum Layout {
        FLOAT, W8ASPIKE, W8ASPIKE_COMPACT;

        public boolean spiking() {
            return this != FLOAT;
        }
    }

    private final Checkpoint checkpoint;
    private final Configuration config;
    private final Layout layout;
    /** The tensors used, in load order (the model fingerprint covers exactly these). */
    private final Map<String, TensorInfo> used = new LinkedHashMap<>();

    private WeightsLoader(Checkpoint checkpoint, Configuration config) {
        this.checkpoint = checkpoint;
        this.config = config;
        this.layout = layoutOf(checkpoint);
    }

    /** Loads all weights; returns them with the tensors that were used. */
    public static Loaded load(Checkpoint checkpoint, Configuration config) {
        WeightsLoader loader = new WeightsLoader(checkpoint, config);
        Weights weights = loader.loadAll();
        return new Loaded(weights, List.copyOf(loader.used.values()), loader.layout);
    }

    /** Weights, the checkpoint tensors they came from, and the layout they were read in. */
    public record Loaded(Weights weights, List<TensorInfo> tensors, Layout layout) {
    }

    /** The layout of a checkpoint, from its tensor names. */
    public static Layout layoutOf(Checkpoint checkpoint) {
        boolean published = false;
        boolean compact = false;
        for (String name : checkpoint.tensors().keySet()) {
            published |= name.endsWith(".weight_quantizer.scales");
            compact |= name.endsWith(".spike_codes");
        }
        if (published && compact) {
            throw new CheckpointException(checkpoint.directory() + " mixes weight_quantizer.scales (published W8ASpike) and "
                    + "spike_codes (compact W8ASpike) tensors");
        }
        return compact ? Layout.W8ASPIKE_COMPACT : published ? Layout.W8ASPIKE : Layout.FLOAT;
    }

    private Weights loadAll() {
        if (config.moe() != null) {
            return loadMoe(config.moe());
        }
        int h = config.hiddenSize();
        int d = config.headDim();
        int qDim = config.numHeads() * d;
        int kvDim = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        Matrix embeddings = matrix("model.embeddings.weight", config.vocabSize(), h);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            boolean gla = !config.isAttentionLayer(i);
            AttentionWeights attention = new AttentionWeights(
                    linear(p + "attn.q_proj", qDim, h), vector(p + "attn.q_proj.bias", qDim),
                    linear(p + "attn.k_proj", kvDim, h), vector(p + "attn.k_proj.bias", kvDim),
                    linear(p + "attn.v_proj", kvDim, h), vector(p + "attn.v_proj.bias", kvDim),
                    linear(p + "attn.o_proj", h, qDim),
                    gla ? gate(p, kvDim, h) : null,
                    gla ? vector(p + "attn.g_norm.weight", d) : null);
            layers.add(new LayerWeights(
                    vector(p + "attn_norm.weight", h), attention, vector(p + "mlp_norm.weight", h),
                    linear(p + "mlp.gate_proj", inter, h),
                    linear(p + "mlp.up_proj", inter, h),
                    downProj(p + "mlp.down_proj", h, inter)));
        }
        float[] norm = vector("model.norm.weight", h);
        Matrix lmHead = config.tieWordEmbeddings() && !checkpoint.tensors().containsKey("lm_head.weight")
                ? embeddings : floatMatrix("lm_head.weight", config.vocabSize(), h);
        return new Weights(embeddings, layers, norm, lmHead);
    }

    /** A spikingbrain_moe checkpoint (REFERENCE.md, "The SpikingBrain-76B layout"). */
    private Weights loadMoe(MoeLayout moe) {
        int h = config.hiddenSize();
        int d = config.headDim();
        int qDim = config.numHeads() * d;
        int kvDim = config.numKvHeads() * d;
        Matrix embeddings = matrix("model.embeddings.weight", config.vocabSize(), h);
        Matrix sinks = moe.sinkTokens() == 0 ? null : matrix("model.sink_embeddings", moe.sinkTokens(), h);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            String la = p + "attn.la.";
            String sa = p + "attn.sa.";
            SoftmaxBranch softmax = new SoftmaxBranch(
                    linear(sa + "q_proj", qDim, h), vector(sa + "q_proj.bias", qDim),
                    linear(sa + "k_proj", kvDim, h), vector(sa + "k_proj.bias", kvDim),
                    linear(sa + "v_proj", kvDim, h), vector(sa + "v_proj.bias", kvDim),
                    vector(sa + "norm.weight", d));
            AttentionWeights attention = new AttentionWeights(
                    linear(la + "q_proj", qDim, h), vector(la + "q_proj.bias", qDim),
                    linear(la + "k_proj", kvDim, h), vector(la + "k_proj.bias", kvDim),
                    linear(la + "v_proj", kvDim, h), vector(la + "v_proj.bias", kvDim),
                    linear(p + "attn.o_proj", h, qDim), null, vector(la + "norm.weight", d), softmax);
            FeedForward ffn;
            if (moe.isDenseLayer(i)) {
                ffn = swiGlu(p + "mlp.", config.intermediateSize());
            } else {
                List<FeedForward.SwiGlu> experts = new ArrayList<>();
                for (int e = 0; e < moe.experts(); e++) {
                    experts.add(swiGlu(p + "mlp.experts." + e + ".", moe.expertWidth()));
                }
                List<FeedForward.SwiGlu> shared = new ArrayList<>();
                for (int j = 0; j < moe.sharedExperts(); j++) {
                    shared.add(swiGlu(p + "mlp.shared_experts." + j + ".", moe.sharedWidth()));
                }
                ffn = new FeedForward.MixtureOfExperts(linear(p + "mlp.router", moe.experts(), h), experts, moe.expertsPerToken(),
                        shared);
            }
            layers.add(new LayerWeights(vector(p + "attn_norm.weight", h), attention, vector(p + "mlp_norm.weight", h), ffn));
        }
        float[] norm = vector("model.norm.weight", h);
        Matrix lmHead = config.tieWordEmbeddings() && !checkpoint.tensors().containsKey("lm_head.weight")
                ? embeddings : floatMatrix("lm_head.weight", config.vocabSize(), h);
        return new Weights(embeddings, layers, norm, lmHead, sinks);
    }

    /** {@code <prefix>gate_proj}, {@code up_proj} [width, H] and {@code down_proj} [H, width]. */
    private FeedForward.SwiGlu swiGlu(String prefix, int width) {
        int h = config.hiddenSize();
        return new FeedForward.SwiGlu(linear(prefix + "gate_proj", width, h), linear(prefix + "up_proj", width, h),
                downProj(prefix + "down_proj", h, width));
    }

    /** The GLA gate: W8ASpike's dense {@code gk_proj} when present, else the float low-rank pair. */
    private GlaGate gate(String p, int kvDim, int h) {
        String dense = p + "attn.gk_proj";
        Map<String, TensorInfo> t = checkpoint.tensors();
        if (t.containsKey(dense + ".weight") || t.containsKey(CompactLayout.codes(dense))) {
            return new GlaGate.Dense(linear(dense, kvDim, h), vector(dense + ".bias", kvDim));
        }
        if (layout.spiking()) {
            throw new CheckpointException("missing tensor '" + dense + ".weight' (expected shape [" + kvDim + ", " + h
                    + "]): a W8ASpike GLA layer has one dense gate, not the float model's gk_proj.0/1, in " + checkpoint.directory());
        }
        int rank = config.gateLowRankDim();
        return new GlaGate.LowRank(matrix(p + "attn.gk_proj.0.weight", rank, h), matrix(p + "attn.gk_proj.1.weight", kvDim, rank),
                vector(p + "attn.gk_proj.1.bias", kvDim));
    }

    /** A projection {@code <name>.weight} [out, in] in the checkpoint's numerics. */
    private Linear linear(String name, int out, int in) {
        return switch (layout) {
            case FLOAT -> new DenseLinear(matrix(name + ".weight", out, in));
            case W8ASPIKE -> new SpikingLinear(published(name, out, in));
            case W8ASPIKE_COMPACT -> new SpikingLinear(compact(name, out, in));
        };
    }

    /** Codes of a published W8ASpike linear: its float weight and its scales [out, in/G, 1]. */
    private SpikeWeights published(String name, int out, int in) {
        String weightName = name + ".weight";
        Matrix weight = matrix(weightName, out, in);
        String scalesName = CompactLayout.publishedScales(name);
        TensorInfo scales = checkpoint.tensors().get(scalesName);
        if (scales == null) {
            throw new CheckpointException("missing tensor '" + scalesName + "': the W8ASpike linear '" + weightName + "' ["
                    + out + ", " + in + "] needs scales of shape [" + out + ", " + in + "/G, 1] in " + checkpoint.directory());
        }
        long[] shape = scales.shape();
        boolean shaped = (shape.length == 3 && shape[2] == 1 || shape.length == 2) && shape[0] == out && shape[1] > 0;
        if (!shaped || !scales.dtype().isFloatWeight()) {
            throw new CheckpointException("tensor '" + scalesName + "' has shape " + scales.shapeString() + " and dtype "
                    + scales.dtype() + ", but the scales of '" + weightName + "' [" + out + ", " + in
                    + "] must be float of shape [" + out + ", groups, 1]");
        }
        if (in % shape[1] != 0) {
            throw new CheckpointException("tensor '" + scalesName + "' has shape " + scales.shapeString() + ": " + shape[1]
                    + " groups do not divide the " + in + " input features of '" + weightName + "' [" + out + ", " + in + "]");
        }
        used.put(scalesName, scales);
        return WeightQuantizer.quantize(weight, Matrix.readVector(scales), (int) (in / shape[1]), weightName);
    }

    /** Codes of a compact W8ASpike linear, memory-mapped. */
    private SpikeWeights compact(String name, int out, int in) {
        int outPadded = SpikeWeights.padded(out);
        String scalesName = CompactLayout.scales(name);
        TensorInfo scales = checkpoint.tensors().get(scalesName);
        if (scales == null) {
            throw new CheckpointException("missing tensor '" + scalesName + "' (F32 [groups, " + outPadded + "]) of the W8ASpike linear '"
                    + name + "' [" + out + ", " + in + "] in " + checkpoint.directory());
        }
        if (scales.dtype() != DType.F32 || scales.shape().length != 2 || scales.shape()[1] != outPadded || scales.shape()[0] <= 0
                || in % scales.shape()[0] != 0) {
            throw new CheckpointException("tensor '" + scalesName + "' is " + scales.dtype() + " " + scales.shapeString()
                    + "; the linear '" + name + "' [" + out + ", " + in + "] needs F32 [groups, " + outPadded
                    + "] with groups dividing " + in);
        }
        used.put(scalesName, scales);
        int groups = (int) scales.shape()[0];
        TensorInfo codes = checkpoint.requireTyped(CompactLayout.codes(name), DType.I8, outPadded / SpikeWeights.BLOCK, in,
                SpikeWeights.BLOCK);
        used.put(codes.name(), codes);
        ByteBuffer[] pages = codes.file().map(codes.offset(), codes.length(), SpikeWeights.blockBytes(in), 1L << 30);
        float[] scaleValues = Matrix.readVector(scales);
        IntBuffer index = IntBuffer.allocate(0);
        IntBuffer exceptionCodes = IntBuffer.allocate(0);
        String indexName = CompactLayout.exceptionIndex(name);
        String codeName = CompactLayout.exceptionCode(name);
        boolean hasIndex = checkpoint.tensors().containsKey(indexName);
        if (hasIndex != checkpoint.tensors().containsKey(codeName)) {
            throw new CheckpointException("the W8ASpike linear '" + name + "' has only one of '" + indexName + "' and '" + codeName + "'");
        }
        if (hasIndex) {
            TensorInfo ii = checkpoint.tensors().get(indexName);
            if (ii.shape().length != 1) {
                throw new CheckpointException("tensor '" + indexName + "' has shape " + ii.shapeString() + "; it must be 1-D");
            }
            long n = ii.shape()[0];
            ii = checkpoint.requireTyped(indexName, DType.I32, n);
            TensorInfo ci = checkpoint.requireTyped(codeName, DType.I32, n);
            used.put(indexName, ii);
            used.put(codeName, ci);
            index = mappedInts(ii);
            exceptionCodes = mappedInts(ci);
        }
        return SpikeWeights.wrap(out, in, in / groups, pages, scaleValues, index, exceptionCodes, codes.name());
    }

    /** A 1-D I32 tensor as a mapped view (read once at load, never copied onto the heap). */
    private static IntBuffer mappedInts(TensorInfo info) {
        if (info.length() == 0) {
            return IntBuffer.allocate(0);
        }
        ByteBuffer[] pieces = info.file().map(info.offset(), info.length(), 4, Integer.MAX_VALUE - 7);
        if (pieces.length != 1) {
            throw new CheckpointException("tensor '" + info.name() + "' of " + info.length() + " bytes is too large to map at once");
        }
        return pieces[0].order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    }

    /** down_proj: float as stored, or in the compact layout possibly weight-only int8 codes. */
    private Matrix downProj(String name, int rows, int cols) {
        String codesName = CompactLayout.weightCodes(name);
        if (layout != Layout.W8ASPIKE_COMPACT || !checkpoint.tensors().containsKey(codesName)) {
            return floatMatrix(name + ".weight", rows, cols);
        }
        TensorInfo codes = checkpoint.requireTyped(codesName, DType.I8, rows, cols);
        String scalesName = CompactLayout.weightScales(name);
        TensorInfo scales = checkpoint.tensors().get(scalesName);
        if (scales == null || scales.dtype() != DType.F32 || scales.shape().length != 2 || scales.shape()[0] != rows
                || scales.shape()[1] <= 0 || cols % scales.shape()[1] != 0) {
            throw new CheckpointException("tensor '" + scalesName + "' " + (scales == null ? "is missing" : "is " + scales.dtype() + " "
                    + scales.shapeString()) + "; the weight-only int8 '" + codesName + "' [" + rows + ", " + cols
                    + "] needs F32 [" + rows + ", groups] with groups dividing " + cols);
        }
        used.put(codesName, codes);
        used.put(scalesName, scales);
        ByteBuffer[] pages = codes.file().map(codes.offset(), codes.length(), cols, 1L << 30);
        return Q8Matrix.wrap(rows, cols, (int) (cols / scales.shape()[1]), pages, Matrix.readVector(scales), codesName);
    }

    /**
     * A matrix that stays float in every layout (down_proj, lm_head). A W8ASpike checkpoint is published in
     * F32; where its values are all exactly bfloat16, they are kept as BF16 (the same values in half the memory).
     */
    private Matrix floatMatrix(String name, int rows, int cols) {
        Matrix m = matrix(name, rows, cols);
        if (layout == Layout.W8ASPIKE && m.dtype() == DType.F32 && Matrix.representableInBf16(m)) {
            return Matrix.convert(m, DType.BF16);
        }
        return m;
    }

    private Matrix matrix(String name, int rows, int cols) {
        TensorInfo info = checkpoint.require(name, rows, cols);
        used.put(name, info);
        return Matrix.map(info);
    }

    private float[] vector(String name, int n) {
        TensorInfo info = checkpoint.require(name, n);
        used.put(name, info);
        return Matrix.readVector(info);
    }
}
