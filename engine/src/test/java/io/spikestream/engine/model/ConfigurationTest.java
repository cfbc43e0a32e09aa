package io.spikestream.engine.model;

import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigurationTest {

    @Test
    void readsTheRealSpikingBrain7bConfig() {
        Configuration c = Configuration.load(TestData.spikingBrain7b());
        assertThat(c.hiddenSize()).isEqualTo(3584);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.groups()).isEqualTo(7);
        assertThat(c.numLayers()).isEqualTo(28);
        assertThat(c.intermediateSize()).isEqualTo(18944);
        assertThat(c.vocabSize()).isEqualTo(152064);
        assertThat(c.slidingWindow()).isEqualTo(4096);
        assertThat(c.ropeTheta()).isEqualTo(1e6);
        assertThat(c.gateLowRankDim()).isEqualTo(16);
        assertThat(c.gateLogitNormalizer()).isEqualTo(16.0);
        assertThat(c.isAttentionLayer(1)).isTrue();
        assertThat(c.isAttentionLayer(26)).isFalse();
        assertThat(c.eosTokenIds()).containsExactly(151643);
    }

    private static String config(String replace, String with) {
        String base = """
                {"model_type": "gla_swa", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_hidden_layers": 4, "intermediate_size": 96, "vocab_size": 512, "sliding_window": 7,
                 "rope_theta": 10000.0, "norm_eps": 1e-6, "attn_layers": [1, 3]}""";
        if (!base.contains(replace)) {
            throw new IllegalArgumentException(replace);
        }
        return base.replace(replace, with);
    }

    @Test
    void errorsNameTheProblem() {
        assertThatThrownBy(() -> Configuration.parse(config("\"gla_swa\"", "\"llama\"")))
                .hasMessageContaining("model_type is \"llama\"");
        assertThatThrownBy(() -> Configuration.parse(config("\"hidden_size\": 64,", "")))
                .hasMessageContaining("missing required key \"hidden_size\"");
        assertThatThrownBy(() -> Configuration.parse(config("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")))
                .hasMessageContaining("not a multiple of num_key_value_heads 3");
        assertThatThrownBy(() -> Configuration.parse(config("[1, 3]", "[1, 4]")))
                .hasMessageContaining("attn_layers contains 4, outside 0..3");
        assertThatThrownBy(() -> Configuration.parse(config("\"sliding_window\": 7", "\"sliding_window\": 0")))
                .hasMessageContaining("sliding_window must be positive");
        assertThatThrownBy(() -> Configuration.parse(config("\"vocab_size\": 512", "\"vocab_size\": \"512\"")))
                .hasMessageContaining("\"vocab_size\" must be an integer");
        assertThatThrownBy(() -> Configuration.parse("{"))
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void architectureConstantsMayComeFromTheFile() {
        Configuration c = Configuration.parse(config("\"attn_layers\": [1, 3]",
                "\"attn_layers\": [1, 3], \"gate_low_rank_dim\": 8, \"gate_logit_normalizer\": 4"));
        assertThat(c.gateLowRankDim()).isEqualTo(8);
        assertThat(c.gateLogitNormalizer()).isEqualTo(4.0);
    }
}
