package io.spikestream.cli.trainer;

import io.spikestream.trainer.convert.TransformerConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code ./spikestream convert}: a Qwen2/Llama checkpoint into the gla_swa layout. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Qwen2- or Llama-layout Hugging Face checkpoint into gla_swa (SpikingBrain's conversion):",
            "attention weights go to sliding-window layers (--attn-layers) and gated-linear-attention layers (the others),",
            "MLPs, norms, embeddings and head are copied, the GLA gate and output norm are initialized (seeded).",
            "The GLA layers need training afterwards."})
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

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        int[] attn = TransformerConverter.convert(from, to, new TransformerConverter.Options(attnLayers, window, seed));
        System.err.printf("convert: %s -> %s, sliding-window layers %s (window %d), the rest GLA, in %.1f s%n", from, to,
                Arrays.toString(attn), window, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
