package io.spikestream.cli.spiking;

import io.spikestream.cli.engine.TokenList;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.spiking.SpikeSite;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.spiking.SpikeSummary;
import io.spikestream.engine.state.DocumentState;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./spikestream spikes}: runs tokens (or a text) through a W8ASpike model and prints its spike
 * statistics per site, then, as the last line, one JSON object over the whole input.
 */
@Command(name = "spikes", mixinStandardHelpOptions = true,
        description = {"Spike statistics of a W8ASpike model on some input (REFERENCE.md, \"Spike statistics\"): per layer and",
            "activation site, then one JSON line with activations, zero_fraction, mean_abs, mean_bitwise, max_abs,",
            "silent_channel_fraction and the energy estimate (pJ per token, spiking vs dense FP16)."})
public final class SpikesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "A W8ASpike model directory.")
    Path model;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--tokens", description = "Token ids, e.g. 1,2,3.")
        String tokens;

        @Option(names = "--text", description = "A UTF-8 text file, tokenized with the model's tokenizer.")
        Path text;
    }

    @Option(names = "--chunk", description = "Feed the input N tokens at a time (the statistics do not change).")
    Integer chunk;

    @Option(names = "--threads", description = "Kernel threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        EngineOptions options = threads == null ? EngineOptions.defaults() : new EngineOptions(threads);
        try (Engine engine = Engine.load(model, options)) {
            if (!engine.model().spiking()) {
                throw new IllegalArgumentException(model + " is a float model: it has no spikes (a W8ASpike checkpoint has "
                        + "<linear>.weight_quantizer.scales or spike_codes tensors; make one with ./spikestream quantize)");
            }
            int[] ids = input.tokens != null ? TokenList.parse("--tokens", input.tokens)
                    : engine.encodeLiteral(Files.readString(input.text, StandardCharsets.UTF_8));
            if (ids.length == 0) {
                throw new IllegalArgumentException("the input has no tokens");
            }
            int step = chunk == null ? ids.length : chunk;
            if (step < 1) {
                throw new IllegalArgumentException("--chunk must be at least 1, got " + chunk);
            }
            DocumentState doc = engine.newDocument();
            SpikeStatistics stats = engine.model().newSpikeStatistics();
            long start = System.nanoTime();
            for (int pos = 0; pos < ids.length; pos += step) {
                int[] part = Arrays.copyOfRange(ids, pos, Math.min(ids.length, pos + step));
                stats.merge(engine.advanceWithLogits(doc, part).spikes());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            print(stats, ids.length, seconds);
        }
        return 0;
    }

    private static void print(SpikeStatistics stats, int tokens, double seconds) {
        System.out.printf(Locale.ROOT, "%d tokens in %.2f s; per site (spikes are counts s = round(x / V_th)):%n", tokens, seconds);
        System.out.printf(Locale.ROOT, "  %-5s %-24s %6s %12s %8s %8s %10s %7s %8s%n", "layer", "site", "width", "activations",
                "zero", "mean|s|", "bits/act", "max|s|", "silent");
        for (int i = 0; i < stats.sites().size(); i++) {
            SpikeSite site = stats.sites().get(i);
            SpikeSummary s = stats.siteSummary(i);
            System.out.printf(Locale.ROOT, "  %-5d %-24s %6d %12d %7.1f%% %8.3f %10.3f %7d %7.1f%%%n", site.layer(),
                    site.kind().name().toLowerCase(Locale.ROOT), site.width(), s.activations(), 100 * s.zeroFraction(), s.meanAbs(),
                    s.meanBitwise(), s.maxAbs(), 100 * s.silentChannelFraction());
        }
        SpikeSummary all = stats.summary();
        System.out.printf(Locale.ROOT, "all: %d activations, %.1f%% zero, mean |s| %.3f, %.3f spikes per activation under bitwise coding "
                        + "(%.3f ternary), max |s| %d, %.1f%% of channels silent%n", all.activations(), 100 * all.zeroFraction(),
                all.meanAbs(), all.meanBitwise(), all.meanAbs(), all.maxAbs(), 100 * all.silentChannelFraction());
        System.out.printf(Locale.ROOT, "energy estimate (45 nm figures of the SpikingBrain report): %.4g pJ per token spiking vs %.4g pJ "
                        + "dense FP16 (%.1f%%); rows a spike-driven projection skips: %.1f%%%n", all.spikingPicojoulesPerToken(),
                all.densePicojoulesPerToken(), 100 * all.spikingPicojoulesPerToken() / all.densePicojoulesPerToken(),
                100 * stats.skippedFraction());
        StringBuilder json = new StringBuilder("{");
        field(json, "tokens", Long.toString(all.tokens()));
        field(json, "activations", Long.toString(all.activations()));
        field(json, "zero_fraction", Double.toString(all.zeroFraction()));
        field(json, "mean_abs", Double.toString(all.meanAbs()));
        field(json, "mean_bitwise", Double.toString(all.meanBitwise()));
        field(json, "max_abs", Long.toString(all.maxAbs()));
        field(json, "silent_channel_fraction", Double.toString(all.silentChannelFraction()));
        field(json, "skipped_fraction", Double.toString(stats.skippedFraction()));
        field(json, "energy_pj_per_token", Double.toString(all.spikingPicojoulesPerToken()));
        field(json, "dense_fp16_pj_per_token", Double.toString(all.densePicojoulesPerToken()));
        json.setLength(json.length() - 1);
        System.out.println(json.append('}'));
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append(Json.quote(name)).append(':').append(value).append(',');
    }
}
