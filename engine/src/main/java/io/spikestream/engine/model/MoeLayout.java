package io.spikestream.engine.model;

import java.util.Arrays;

/**
 * What a {@code spikingbrain_moe} configuration adds to the shared hyper-parameters (REFERENCE.md, "The
 * SpikingBrain-76B layout"): every layer runs a linear and a softmax branch side by side; these say which
 * softmax branches see the whole document, how many sinks precede it, and the shape of the experts.
 *
 * @param fullAttentionLayers layers whose softmax branch is full causal attention (the rest slide over W)
 * @param sinkTokens          S learned sink rows before every document
 * @param denseLayers         layers with a dense SwiGLU FFN of {@code intermediate_size}; the rest are MoE
 * @param experts             E routed experts per MoE layer
 * @param expertsPerToken     k: experts each token is routed to
 * @param expertWidth         a routed expert's SwiGLU width
 * @param sharedExperts       always-active experts per MoE layer
 * @param sharedWidth         a shared expert's SwiGLU width
 */
public record MoeLayout(int[] fullAttentionLayers, int sinkTokens, int[] denseLayers, int experts, int expertsPerToken,
                        int expertWidth, int sharedExperts, int sharedWidth) {
    public static final String MODEL_TYPE = "spikingbrain_moe";

    public MoeLayout {
        fullAttentionLayers = fullAttentionLayers.clone();
        denseLayers = denseLayers.clone();
        if (sinkTokens < 0) {
            throw new ConfigurationException("num_sink_tokens must be 0 or more, got " + sinkTokens);
        }
        if (experts < 1 || experts > 64) {
            throw new ConfigurationException("num_experts must be between 1 and 64, got " + experts);
        }
        if (expertsPerToken < 1 || expertsPerToken > experts) {
            throw new ConfigurationException("num_experts_per_tok must be between 1 and num_experts " + experts + ", got " + expertsPerToken);
        }
        if (expertWidth < 1) {
            throw new ConfigurationException("moe_intermediate_size must be positive, got " + expertWidth);
        }
        if (sharedExperts < 0) {
            throw new ConfigurationException("num_shared_experts must be 0 or more, got " + sharedExperts);
        }
        if (sharedExperts > 0 && sharedWidth < 1) {
            throw new ConfigurationException("shared_expert_intermediate_size must be positive, got " + sharedWidth);
        }
    }

    /** Checks the layer lists against the layer count. */
    void checkLayers(int layers) {
        checkList("full_attention_layers", fullAttentionLayers, layers);
        checkList("dense_layers", denseLayers, layers);
    }

    private static void checkList(String key, int[] list, int layers) {
        int[] sorted = list.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || sorted[i] >= layers) {
                throw new ConfigurationException(key + " contains " + sorted[i] + ", outside 0.." + (layers - 1));
            }
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new ConfigurationException(key + " lists layer " + sorted[i] + " twice");
            }
        }
    }

    public boolean isFullAttentionLayer(int layer) {
        return contains(fullAttentionLayers, layer);
    }

    public boolean isDenseLayer(int layer) {
        return contains(denseLayers, layer);
    }

    private static boolean contains(int[] list, int layer) {
        for (int l : list) {
            if (l == layer) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int[] fullAttentionLayers() {
        return fullAttentionLayers.clone();
    }

    @Override
    public int[] denseLayers() {
        return denseLayers.clone();
    }

    String canonical() {
        return "full=" + Arrays.toString(fullAttentionLayers) + ";S=" + sinkTokens + ";dense=" + Arrays.toString(denseLayers)
                + ";E=" + experts + ";k=" + expertsPerToken + ";Ie=" + expertWidth + ";shared=" + sharedExperts + ";Is=" + sharedWidth;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MoeLayout m && canonical().equals(m.canonical());
    }

    @Override
    public int hashCode() {
        return canonical().hashCode();
    }
}
