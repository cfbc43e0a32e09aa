package io.spikestream.engine.model;

/** Configurations of generated models for tests. */
final class TestConfigs {
    private TestConfigs() {
    }

    /** H 128, 4 heads over 2 kv heads (D 32), 4 layers with SWA at 1 and 3, V 1000. */
    static Configuration small(int window) {
        return small(window, 1000);
    }

    /** {@link #small(int)} with another vocabulary size. */
    static Configuration small(int window, int vocab) {
        return Configuration.parse("""
                {"model_type": "gla_swa", "hidden_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_hidden_layers": 4, "intermediate_size": 256, "vocab_size": %d, "sliding_window": %d,
                 "rope_theta": 10000.0, "norm_eps": 1e-6, "attn_layers": [1, 3], "tie_word_embeddings": false,
                 "bos_token_id": 0, "eos_token_id": 1}
                """.formatted(vocab, window));
    }
}
