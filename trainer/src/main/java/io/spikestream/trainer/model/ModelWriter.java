package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Writes a trained model as a gla_swa checkpoint directory: config.json, model.safetensors, tokenizer files. */
public final class ModelWriter {
    private ModelWriter() {
    }

    public static void write(Path dir, Parameters p, DType dtype, Path tokenizerDir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(Checkpoint.SINGLE_FILE + ".tmp");
        p.save(tmp, dtype);
        Files.move(tmp, dir.resolve(Checkpoint.SINGLE_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve(Configuration.FILE_NAME), config(p.config(), dtype));
        if (tokenizerDir != null) {
            io.spikestream.engine.tokenizer.Tokenizer.copyFiles(tokenizerDir, dir);
        }
    }

    /** The config.json of a gla_swa or spikingbrain_moe model with weights in {@code dtype} (also written by the converters). */
    public static String config(Configuration c, DType dtype) {
        String attn = Arrays.stream(c.attentionLayers()).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        int[] eosIds = c.eosTokenIds();
        String eos = eosIds.length == 0 ? "" : ",\n  \"eos_token_id\": " + (eosIds.length == 1 ? Integer.toString(eosIds[0])
                : Arrays.stream(eosIds).mapToObj(Integer::toString).collect(Collectors.joining(", ", "[", "]")));
        String bos = c.bosTokenId() < 0 ? "" : ",\n  \"bos_token_id\": " + c.bosTokenId();
        String torch = switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        if (c.moe() != null) {
            io.spikestream.engine.model.MoeLayout m = c.moe();
            return String.format(Locale.ROOT, """
                    {
                      "architectures": ["SpikingBrainMoeForCausalLM"],
                      "model_type": "spikingbrain_moe",
                      "hidden_size": %d,
                      "num_attention_heads": %d,
                      "num_key_value_heads": %d,
                      "num_hidden_layers": %d,
                      "full_attention_layers": %s,
                      "sliding_window": %d,
                      "num_sink_tokens": %d,
                      "dense_layers": %s,
                      "intermediate_size": %d,
                      "num_experts": %d,
                      "num_experts_per_tok": %d,
                      "moe_intermediate_size": %d,
                      "num_shared_experts": %d,
                      "shared_expert_intermediate_size": %d,
                      "vocab_size": %d,
                      "rope_theta": %s,
                      "norm_eps": %s,
                      "hidden_act": "silu",
                      "tie_word_embeddings": %s,
                      "torch_dtype": "%s"%s%s
                    }
                    """, c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.numLayers(), Arrays.toString(m.fullAttentionLayers()),
                    c.slidingWindow(), m.sinkTokens(), Arrays.toString(m.denseLayers()), c.intermediateSize(), m.experts(),
                    m.expertsPerToken(), m.expertWidth(), m.sharedExperts(), m.sharedWidth(), c.vocabSize(), Double.toString(c.ropeTheta()),
                    Double.toString(c.normEps()), c.tieWordEmbeddings(), torch, bos, eos);
        }
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["GLAswaForCausalLM"],
                  "model_type": "gla_swa",
                  "attn_mode": "chunk",
                  "attn_layers": [%s],
                  "hidden_size": %d,
                  "num_attention_heads": %d,
                  "num_key_value_heads": %d,
                  "num_hidden_layers": %d,
                  "intermediate_size": %d,
                  "vocab_size": %d,
                  "sliding_window": %d,
                  "rope_theta": %s,
                  "norm_eps": %s,
                  "hidden_act": "swish",
                  "use_short_conv": false,
                  "tie_word_embeddings": %s,
                  "torch_dtype": "%s"%s%s
                }
                """, attn, c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.numLayers(), c.intermediateSize(), c.vocabSize(),
                c.slidingWindow(), Double.toString(c.ropeTheta()), Double.toString(c.normEps()), c.tieWordEmbeddings(), torch, bos, eos);
    }
}
