package io.spikestream.cli.trainer;

import io.spikestream.engine.model.Configuration;
import io.spikestream.trainer.tokenizer.BpeTrainer;
import picocli.CommandLine.Option;

import java.util.Locale;

/** The shape of a model {@code train} creates (and {@code bench-train} trains): a picocli mixin. */
public final class ArchitectureOptions {
    @Option(names = "--hidden", defaultValue = "64") int hidden;
    @Option(names = "--layers", defaultValue = "4") int layers;
    @Option(names = "--heads", defaultValue = "4") int heads;
    @Option(names = "--kv-heads", defaultValue = "2") int kvHeads;
    @Option(names = "--intermediate", defaultValue = "192") int intermediate;
    @Option(names = "--window", defaultValue = "64") int window;

    /** The gla_swa configuration: SWA at the odd layers, untied head, eos the first special token of the BPE trainer. */
    public Configuration configuration(int vocab) {
        StringBuilder attn = new StringBuilder();
        for (int i = 1; i < layers; i += 2) {
            attn.append(attn.isEmpty() ? "" : ", ").append(i);
        }
        return Configuration.parse(String.format(Locale.ROOT, """
                {"model_type": "gla_swa", "hidden_size": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "num_hidden_layers": %d, "intermediate_size": %d, "vocab_size": %d, "sliding_window": %d,
                 "rope_theta": 10000.0, "norm_eps": 1e-6, "attn_layers": [%s], "tie_word_embeddings": false,
                 "eos_token_id": %d, "torch_dtype": "bfloat16"}
                """, hidden, heads, kvHeads, layers, intermediate, vocab, window, attn, vocab - BpeTrainer.DEFAULT_SPECIALS.size()));
    }
}
