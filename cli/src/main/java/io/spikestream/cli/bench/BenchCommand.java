package io.spikestream.cli.bench;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.safetensors.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ./spikestream bench}: gla_swa against the full-attention Transformer baseline, same weights, one run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Prefill and decode tokens/s and state bytes at document positions from 1K to 1M+,",
            "for gla_swa and for the same weights with every layer as full causal attention (the baseline).",
            "Random weights; the state at position p is filled with random keys/values (not computed)."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", description = "config.json of the model to benchmark (default: the built-in 'small' preset).")
    Path config;

    @Option(names = "--preset", defaultValue = "small", description = "small (H 1024, 8 layers, V 32000, W 4096) tiny, or moe (the SpikingBrain-76B layout with H 512, 8 layers of which 2 full attention, 128 sinks, 16 experts top-1). Ignored with --config.")
    String preset;

    @Option(names = "--layers", description = "Override num_hidden_layers (attention layers stay the odd ones).")
    Integer layers;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weight format: bf16, f32 or f16.")
    String dtype;

    @Option(names = "--positions", description = "Document positions, e.g. 1K,64K,1M,4M (default 1K,4K,16K,64K,256K,1M).")
    String positions;

    @Option(names = "--chunk", defaultValue = "64", description = "Prefill chunk size (tokens).")
    int chunk;

    @Option(names = "--decode", defaultValue = "8", description = "Decode steps measured per position.")
    int decode;

    @Option(names = "--repeat", defaultValue = "2", description = "Measurements per cell; the best is kept.")
    int repeat;

    @Option(names = "--threads", description = "Kernel threads (default: all cores).")
    Integer threads;

    @Option(names = "--spiking", description = "Compare dense BF16 with W8ASpike (same random weights, post-training quantized) instead of "
            + "the full-attention baseline; ends with a JSON line of ratios. Default positions 1K,4K,16K.")
    boolean spiking;

    @Option(names = "--group", defaultValue = "128", description = "W8ASpike scale group size for --spiking (default 128).")
    int group;

    @Option(names = "--baseline-memory", description = "Largest full-attention KV cache to allocate, in MiB (default: 60%% of the max heap).")
    Long baselineMemoryMiB;

    @Override
    public Integer call() {
        Configuration cfg = config != null ? Configuration.load(configDir()) : ModelBenchmark.preset(preset);
        if (layers != null) {
            cfg = ModelBenchmark.withLayers(cfg, layers);
        }
        DType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype must be bf16, f32 or f16, got " + dtype);
        };
        long budget = baselineMemoryMiB != null ? baselineMemoryMiB << 20 : (long) (Runtime.getRuntime().maxMemory() * 0.6);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (spiking && cfg.moe() != null) {
            throw new IllegalArgumentException("--spiking: W8ASpike is defined for gla_swa models; this release runs spikingbrain_moe in float only");
        }
        if (spiking) {
            new SpikingBenchmark(cfg, parsePositions(positions == null ? "1K,4K,16K" : positions), chunk, decode, Math.max(repeat, 3), t,
                    group, System.out).run();
            return 0;
        }
        new ModelBenchmark(cfg, type, parsePositions(positions == null ? "1K,4K,16K,64K,256K,1M" : positions), chunk, decode, repeat, t, budget, System.out).run();
        return 0;
    }

    private Path configDir() {
        if (!config.getFileName().toString().equals(Configuration.FILE_NAME)) {
            throw new IllegalArgumentException("--config must name a file called config.json, got " + config);
        }
        return config.toAbsolutePath().getParent();
    }

    static List<Long> parsePositions(String text) {
        List<Long> out = new ArrayList<>();
        for (String p : text.split(",")) {
            String s = p.trim().toUpperCase(Locale.ROOT);
            long mult = 1;
            if (s.endsWith("K")) {
                mult = 1024;
                s = s.substring(0, s.length() - 1);
            } else if (s.endsWith("M")) {
                mult = 1024 * 1024;
                s = s.substring(0, s.length() - 1);
            }
            try {
                out.add(Long.parseLong(s) * mult);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--positions: '" + p + "' is not a position like 4K or 1M");
            }
        }
        return out;
    }
}
