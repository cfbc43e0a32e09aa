package io.spikestream.engine.model;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The hyper-parameters of a {@code gla_swa} or {@code spikingbrain_moe} checkpoint, read from its HF-style
 * {@code config.json}.
 *
 * @param hiddenSize          H
 * @param numHeads            nh query heads
 * @param numKvHeads          kv key/value heads
 * @param numLayers           L
 * @param intermediateSize    I (SwiGLU width)
 * @param vocabSize           V
 * @param slidingWindow       W: an SWA query sees itself and the previous W tokens
 * @param ropeTheta           RoPE base
 * @param normEps             RMSNorm epsilon
 * @param attentionLayers     indices of the SWA layers; every other layer is GLA
 * @param tieWordEmbeddings   whether lm_head is the embedding matrix
 * @param bosTokenId          beginning-of-sequence id, or -1
 * @param eosTokenIds         end-of-sequence ids (may be empty)
 * @param gateLowRankDim      rank of the GLA gate projection (16)
 * @param gateLogitNormalizer divisor of the GLA log decay (16)
 * @param torchDtype          the dtype the checkpoint declares (informational)
 * @param moe                 the spikingbrain_moe part (then {@code attentionLayers} is empty), or null for gla_swa
 */
public record Configuration(
        int hiddenSize,
        int numHeads,
        int numKvHeads,
        int numLayers,
        int intermediateSize,
        int vocabSize,
        int slidingWindow,
        double ropeTheta,
        double normEps,
        int[] attentionLayers,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int[] eosTokenIds,
        int gateLowRankDim,
        double gateLogitNormalizer,
        String torchDtype,
        MoeLayout moe) {

    public static final String MODEL_TYPE = "gla_swa";
    public static final String FILE_NAME = "config.json";

    public Configuration {
        attentionLayers = attentionLayers.clone();
        eosTokenIds = eosTokenIds.clone();
        validate(hiddenSize, numHeads, numKvHeads, numLayers, intermediateSize, vocabSize, slidingWindow, ropeTheta,
                normEps, attentionLayers, gateLowRankDim, gateLogitNormalizer);
        if (moe != null) {
            if (attentionLayers.length != 0) {
                throw new ConfigurationException("a spikingbrain_moe model has both branches in every layer: attn_layers must be empty");
            }
            moe.checkLayers(numLayers);
        }
    }

    /** A gla_swa configuration. */
    public Configuration(int hiddenSize, int numHeads, int numKvHeads, int numLayers, int intermediateSize, int vocabSize,
                         int slidingWindow, double ropeTheta, double normEps, int[] attentionLayers, boolean tieWordEmbeddings,
                         int bosTokenId, int[] eosTokenIds, int gateLowRankDim, double gateLogitNormalizer, String torchDtype) {
        this(hiddenSize, numHeads, numKvHeads, numLayers, intermediateSize, vocabSize, slidingWindow, ropeTheta, normEps,
                attentionLayers, tieWordEmbeddings, bosTokenId, eosTokenIds, gateLowRankDim, gateLogitNormalizer, torchDtype, null);
    }

    /** The config.json model_type. */
    public String modelType() {
        return moe == null ? MODEL_TYPE : MoeLayout.MODEL_TYPE;
    }

    /** D = H / nh. */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** G = nh / kv: query heads per key/value head. */
    public int groups() {
        return numHeads / numKvHeads;
    }

    public boolean isAttentionLayer(int layer) {
        for (int a : attentionLayers) {
            if (a == layer) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int[] attentionLayers() {
        return attentionLayers.clone();
    }

    @Override
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    public static Configuration load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigurationException("no " + FILE_NAME + " in " + modelDir);
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + file + ": " + e.getMessage());
        }
        try {
            return parse(text);
        } catch (ConfigurationException e) {
            throw new ConfigurationException(file + ": " + e.getMessage());
        }
    }

    public static Configuration parse(String json) {
        Map<String, Object> c;
        try {
            c = Json.parseObject(json);
        } catch (JsonException e) {
            throw new ConfigurationException("not valid JSON: " + e.getMessage());
        }
        Object type = c.get("model_type");
        boolean hybrid = MoeLayout.MODEL_TYPE.equals(type);
        if (!MODEL_TYPE.equals(type) && !hybrid) {
            throw new ConfigurationException("model_type is " + (type == null ? "missing" : "\"" + type + "\"")
                    + "; this engine runs \"" + MODEL_TYPE + "\" and \"" + MoeLayout.MODEL_TYPE + "\" checkpoints");
        }
        int hidden = requireInt(c, "hidden_size");
        int heads = requireInt(c, "num_attention_heads");
        int kvHeads = c.containsKey("num_key_value_heads") ? requireInt(c, "num_key_value_heads") : heads;
        int layers = requireInt(c, "num_hidden_layers");
        int vocab = requireInt(c, "vocab_size");
        int window = requireInt(c, "sliding_window");
        // a spikingbrain_moe model without dense layers may leave intermediate_size out
        int intermediate = hybrid && !c.containsKey("intermediate_size") ? requireInt(c, "moe_intermediate_size")
                : requireInt(c, "intermediate_size");
        double theta = c.containsKey("rope_theta") ? requireNumber(c, "rope_theta") : 10000.0;
        double eps = c.containsKey("norm_eps") ? requireNumber(c, "norm_eps")
                : c.containsKey("rms_norm_eps") ? requireNumber(c, "rms_norm_eps") : 1e-6;
        int[] attn = hybrid ? new int[0] : intList(c, "attn_layers", true);
        MoeLayout moe = hybrid ? new MoeLayout(intList(c, "full_attention_layers", false), requireInt(c, "num_sink_tokens"),
                intList(c, "dense_layers", false), requireInt(c, "num_experts"), requireInt(c, "num_experts_per_tok"),
                requireInt(c, "moe_intermediate_size"), requireInt(c, "num_shared_experts"),
                c.containsKey("shared_expert_intermediate_size") ? requireInt(c, "shared_expert_intermediate_size") : 0) : null;
        boolean tie = c.get("tie_word_embeddings") instanceof Boolean b && b;
        if (c.containsKey("tie_word_embeddings") && !(c.get("tie_word_embeddings") instanceof Boolean)) {
            throw new ConfigurationException("tie_word_embeddings must be true or false");
        }
        int bos = c.get("bos_token_id") == null ? -1 : requireInt(c, "bos_token_id");
        int[] eos = c.get("eos_token_id") == null ? new int[0]
                : c.get("eos_token_id") instanceof List ? intList(c, "eos_token_id", false) : new int[] {requireInt(c, "eos_token_id")};
        int rank = c.containsKey("gate_low_rank_dim") ? requireInt(c, "gate_low_rank_dim") : 16;
        double normalizer = c.containsKey("gate_logit_normalizer") ? requireNumber(c, "gate_logit_normalizer") : 16.0;
        if (c.get("use_short_conv") instanceof Boolean conv && conv) {
            throw new ConfigurationException("use_short_conv=true is not part of the gla_swa architecture this engine runs");
        }
        String dtype = c.get("torch_dtype") instanceof String s ? s : "float32";
        return new Configuration(hidden, heads, kvHeads, layers, intermediate, vocab, window, theta, eps, attn, tie, bos, eos,
                rank, normalizer, dtype, moe);
    }

    private static void validate(int hidden, int heads, int kvHeads, int layers, int intermediate, int vocab, int window,
                                 double theta, double eps, int[] attn, int rank, double normalizer) {
        positive("hidden_size", hidden);
        positive("num_attention_heads", heads);
        positive("num_key_value_heads", kvHeads);
        positive("num_hidden_layers", layers);
        positive("intermediate_size", intermediate);
        positive("vocab_size", vocab);
        positive("sliding_window", window);
        positive("gate_low_rank_dim", rank);
        if (hidden % heads != 0) {
            throw new ConfigurationException("hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new ConfigurationException("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if ((hidden / heads) % 2 != 0) {
            throw new ConfigurationException("head dimension " + hidden / heads + " must be even for RoPE");
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new ConfigurationException("rope_theta must be a positive number, got " + theta);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new ConfigurationException("norm_eps must be a positive number, got " + eps);
        }
        if (!(normalizer > 0) || Double.isInfinite(normalizer)) {
            throw new ConfigurationException("gate_logit_normalizer must be a positive number, got " + normalizer);
        }
        int[] sorted = attn.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || sorted[i] >= layers) {
                throw new ConfigurationException("attn_layers contains " + sorted[i] + ", outside 0.." + (layers - 1));
            }
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new ConfigurationException("attn_layers lists layer " + sorted[i] + " twice");
            }
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new ConfigurationException(key + " must be positive, got " + value);
        }
    }

    private static int requireInt(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (v == null) {
            throw new ConfigurationException("missing required key \"" + key + "\"");
        }
        if (!(v instanceof Long l) || l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) {
            throw new ConfigurationException("\"" + key + "\" must be an integer, got " + v);
        }
        return (int) (long) l;
    }

    private static double requireNumber(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Number n)) {
            throw new ConfigurationException("\"" + key + "\" must be a number, got " + v);
        }
        return n.doubleValue();
    }

    private static int[] intList(Map<String, Object> c, String key, boolean required) {
        Object v = c.get(key);
        if (v == null) {
            if (required) {
                throw new ConfigurationException("missing required key \"" + key + "\" (indices of the sliding-window layers)");
            }
            return new int[0];
        }
        if (!(v instanceof List<?> list)) {
            throw new ConfigurationException("\"" + key + "\" must be a list of integers, got " + v);
        }
        List<Integer> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Long l) || l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) {
                throw new ConfigurationException("\"" + key + "\" must be a list of integers, got element " + o);
            }
            out.add((int) (long) l);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The canonical text of the fields that change the computation (part of the model fingerprint). */
    public String canonical() {
        return "H=" + hiddenSize + ";nh=" + numHeads + ";kv=" + numKvHeads + ";L=" + numLayers + ";I=" + intermediateSize
                + ";V=" + vocabSize + ";W=" + slidingWindow + ";theta=" + ropeTheta + ";eps=" + normEps
                + ";attn=" + Arrays.toString(attentionLayers) + ";tie=" + tieWordEmbeddings + ";rank=" + gateLowRankDim
                + ";gnorm=" + gateLogitNormalizer + (moe == null ? "" : ";" + moe.canonical());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Configuration other && canonical().equals(other.canonical())
                && bosTokenId == other.bosTokenId && Arrays.equals(eosTokenIds, other.eosTokenIds)
                && torchDtype.equals(other.torchDtype);
    }

    @Override
    public int hashCode() {
        return canonical().hashCode();
    }

    @Override
    public String toString() {
        return "Configuration[" + canonical() + ", dtype=" + torchDtype + "]";
    }
}
