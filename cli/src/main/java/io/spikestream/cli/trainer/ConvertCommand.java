package io.spikestream.cli.trainer;

import io.spikestream.trainer.convert.TransformerConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code ./spikestream convert}: a Qwen2/Llama checkpoint into the gla_swa or the spikingbrain_moe layout. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Qwen2- or Llama-layout Hugging Face checkpoint into gla_swa (SpikingBrain's conversion):",
            "attention weights go to sliding-window layers (--attn-layers) and gated-linear-attention layers (the others),",
            "MLPs, norms, embeddings and head are copied, the GLA gate and output norm are initialized (seeded).",
            "The GLA layers need training afterwards.",
            "--to-layout spikingbrain_moe: both attention branches of every layer start from the source attention, the sinks",
            "small (normal 0.02, seeded), dense layers copy the MLP, the others are upcycled: every expert and shared expert",
            "is the MLP with each matrix scaled by (1 / (S + k/N))^(1/3), the router seeded."})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "Source model directory (config.json, safetensors, tokenizer files).")
    Path from;

    @Option(names = "--to", required = true, description = "Directory for the gla_swa model.")
    Path to;

    @Option(names = "--attn-layers", split = ",", description = "Sliding-window layer indices (default: the odd layers, as SpikingBrain-7B).")
    int[] attnLayers;

    @Option(names = "--window", defaultValue = "4096", description = "Sliding window W (default 4096).")
    int window;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the GLA gate initialization (default 0).")
    long seed;

    @Option(names = "--to-layout", defaultValue = "gla_swa", description = "gla_swa (default) or spikingbrain_moe.")
    String layout;

    @Option(names = "--full-attention-layers", split = ",",
            description = "spikingbrain_moe: layers whose softmax branch sees the whole document (default: every 7th from the 7th).")
    int[] fullAttentionLayers;

    @Option(names = "--dense-layers", split = ",", description = "spikingbrain_moe: layers keeping the dense MLP (default: 0,1,2,4,6,8,10 that exist).")
    int[] denseLayers;

    @Option(names = "--sinks", defaultValue = "128", description = "spikingbrain_moe: sink tokens (default 128).")
    int sinks;

    @Option(names = "--experts", defaultValue = "16", description = "spikingbrain_moe: routed experts per MoE layer (default 16).")
    int experts;

    @Option(names = "--experts-per-token", defaultValue = "1", description = "spikingbrain_moe: top-k (default 1).")
    int topK;

    @Option(names = "--shared-experts", defaultValue = "1", description = "spikingbrain_moe: always-active experts (default 1).")
    int shared;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        if (layout.equals(io.spikestream.engine.model.MoeLayout.MODEL_TYPE)) {
            if (attnLayers != null) {
                throw new IllegalArgumentException("--attn-layers is for --to-layout gla_swa; spikingbrain_moe has both branches in every layer");
            }
            io.spikestream.engine.model.Configuration c = io.spikestream.trainer.convert.MoeConverter.convert(from, to,
                    new io.spikestream.trainer.convert.MoeConverter.Options(fullAttentionLayers, denseLayers, window, sinks, experts, topK,
                            shared, seed));
            System.err.printf("convert: %s -> %s, spikingbrain_moe: full attention at %s, dense FFN at %s, %d experts (top-%d) + %d shared, "
                            + "scale %.4f, %d sinks, window %d, in %.1f s%n", from, to, Arrays.toString(c.moe().fullAttentionLayers()),
                    Arrays.toString(c.moe().denseLayers()), experts, topK, shared,
                    io.spikestream.trainer.convert.MoeConverter.upcyclingScale(shared, topK, experts), sinks, window,
                    (System.nanoTime() - start) / 1e9);
            return 0;
        }
        if (!layout.equals(io.spikestream.engine.model.Configuration.MODEL_TYPE)) {
            throw new IllegalArgumentException("--to-layout must be gla_swa or spikingbrain_moe, got " + layout);
        }
        if (fullAttentionLayers != null || denseLayers != null) {
            throw new IllegalArgumentException("--full-attention-layers and --dense-layers are for --to-layout spikingbrain_moe");
        }
        int[] attn = TransformerConverter.convert(from, to, new TransformerConverter.Options(attnLayers, window, seed));
        System.err.printf("convert: %s -> %s, sliding-window layers %s (window %d), the rest GLA, in %.1f s%n", from, to,
                Arrays.toString(attn), window, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
