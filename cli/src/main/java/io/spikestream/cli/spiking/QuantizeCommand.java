package io.spikestream.cli.spiking;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.model.WeightsLoader;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.spiking.CompactLayout;
import io.spikestream.engine.spiking.CompactWriter;
import io.spikestream.engine.spiking.PostTrainingQuantizer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code ./spikestream quantize}: (a) a published W8ASpike checkpoint into SpikeStream's compact layout (the
 * same codes, memory-mapped, same logits bit for bit), or (b) post-training quantization of a float gla_swa
 * model into W8ASpike. The written model is reloaded and checked to give the same logits bit for bit as the
 * quantized model in memory; with {@code --calibration} the mean NLL of the source and of the result on a
 * text is printed.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a W8ASpike model in SpikeStream's compact layout (int8 codes with exceptions, F32 scales).",
            "A published W8ASpike checkpoint keeps its codes (same logits bit for bit); a float gla_swa model is quantized",
            "after training: absmax/127 scales per output row and group of --group inputs, a low-rank GLA gate as its",
            "dense product. The last stdout line is one JSON object."})
public final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "Source model directory (float gla_swa or W8ASpike).")
    Path from;

    @Option(names = "--to", required = true, description = "Directory for the compact W8ASpike model.")
    Path to;

    @Option(names = "--group", description = "Inputs per scale group for post-training quantization (default 128).")
    Integer group;

    @Option(names = "--down-proj", description = "down_proj (not spiked: its input stays float): int8 (weight-only codes with the "
            + "same groups) or float (kept as is). Default: int8 for post-training quantization, float (bit for bit) for a W8ASpike "
            + "source; int8 there halves the memory of the largest float part but changes the logits.")
    String downProj;

    @Option(names = "--calibration", description = "A text file: print the mean NLL of the source and the quantized model on it.")
    Path calibration;

    @Option(names = "--calibration-tokens", defaultValue = "8192", description = "Tokens of the calibration text used (default 8192).")
    int calibrationTokens;

    @Option(names = "--threads", description = "Kernel threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--to must be another directory than --from");
        }
        if (calibration != null && calibrationTokens < 2) {
            throw new IllegalArgumentException("--calibration-tokens must be at least 2");
        }
        long start = System.nanoTime();
        WeightsLoader.Layout layout;
        try (Checkpoint ckpt = Checkpoint.open(from)) {
            layout = WeightsLoader.layoutOf(ckpt);
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        try (Model source = Model.load(from); Parallel parallel = new Parallel(threadCount)) {
            Model quantized;
            String method;
            boolean int8Down = switch (downProj == null ? (source.spiking() ? "float" : "int8") : downProj) {
                case "int8" -> true;
                case "float" -> false;
                default -> throw new IllegalArgumentException("--down-proj must be int8 or float, got " + downProj);
            };
            if (source.spiking()) {
                int groups = groupSizeOf(source);
                if (group != null && group != groups) {
                    throw new IllegalArgumentException(from + " is already W8ASpike with groups of " + groups
                            + " inputs; --group " + group + " cannot change its codes");
                }
                quantized = int8Down ? PostTrainingQuantizer.withWeightOnlyDownProj(source, groups) : source;
                method = (layout == WeightsLoader.Layout.W8ASPIKE ? "published codes round(W / scale)" : "compact codes (copied)")
                        + (int8Down ? ", down_proj weight-only int8 (lossy: the logits change)" : "");
            } else {
                quantized = PostTrainingQuantizer.quantize(source, group == null ? 128 : group, int8Down);
                method = "post-training absmax/127, down_proj " + (int8Down ? "weight-only int8" : "float");
            }
            int groupSize = groupSizeOf(quantized);
            Files.createDirectories(to);
            CompactWriter.write(quantized, to);
            Files.copy(from.resolve(Configuration.FILE_NAME), to.resolve(Configuration.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            Tokenizer.copyFiles(from, to);
            System.out.printf(Locale.ROOT, "quantize: %s (%s) -> %s: %s, groups of %d inputs, weights %.1f MiB -> %.1f MiB, in %.1f s%n",
                    from, layout, to, method, groupSize, safetensorsBytes(from) / 1048576.0, safetensorsBytes(to) / 1048576.0,
                    (System.nanoTime() - start) / 1e9);

            int[] probe = new SplittableRandom(1).ints(Math.min(64, 2 * quantized.config().slidingWindow() + 3), 0,
                    quantized.config().vocabSize()).toArray();
            try (Model written = Model.load(to)) {
                float[] expected = quantized.forward(quantized.newState(), probe, 0, probe.length, true, parallel).logits();
                float[] actual = written.forward(written.newState(), probe, 0, probe.length, true, parallel).logits();
                if (!Arrays.equals(expected, actual)) {
                    throw new IllegalStateException("the written model does not reproduce the quantized model's logits");
                }
            }
            System.out.printf(Locale.ROOT, "verified: %s gives the quantized model's logits bit for bit (%d tokens)%n", to, probe.length);

            Double floatNll = null;
            Double spikingNll = null;
            int used = 0;
            if (calibration != null) {
                if (!Tokenizer.isPresent(from)) {
                    throw new IllegalArgumentException("--calibration needs the tokenizer files of " + from);
                }
                int[] tokens = Tokenizer.load(from).encode(Files.readString(calibration, StandardCharsets.UTF_8),
                        TokenizerMode.LITERAL);
                tokens = Arrays.copyOf(tokens, Math.min(tokens.length, calibrationTokens));
                if (tokens.length < 2) {
                    throw new IllegalArgumentException(calibration + " has fewer than 2 tokens");
                }
                used = tokens.length;
                floatNll = meanNll(source, tokens, parallel);
                spikingNll = meanNll(quantized, tokens, parallel);
                System.out.printf(Locale.ROOT, "calibration %s (%d tokens): mean NLL source %.4f (perplexity %.3f), W8ASpike %.4f "
                                + "(perplexity %.3f): %+.2f%%%n", calibration, used, floatNll, Math.exp(floatNll), spikingNll,
                        Math.exp(spikingNll), 100 * (Math.exp(spikingNll - floatNll) - 1));
            }
            System.out.println("{" + Json.quote("layout") + ":" + Json.quote(CompactLayout.METADATA_VALUE)
                    + "," + Json.quote("source_layout") + ":" + Json.quote(layout.name())
                    + "," + Json.quote("group_size") + ":" + groupSize
                    + "," + Json.quote("source_file_bytes") + ":" + safetensorsBytes(from)
                    + "," + Json.quote("file_bytes") + ":" + safetensorsBytes(to)
                    + "," + Json.quote("layer_weight_bytes") + ":" + quantized.weights().layerBytes()
                    + "," + Json.quote("source_layer_weight_bytes") + ":" + source.weights().layerBytes()
                    + "," + Json.quote("verified_tokens") + ":" + probe.length
                    + "," + Json.quote("calibration_tokens") + ":" + used
                    + "," + Json.quote("source_mean_nll") + ":" + floatNll
                    + "," + Json.quote("spiking_mean_nll") + ":" + spikingNll + "}");
        }
        return 0;
    }

    /** Bytes of the safetensors files of a model directory. */
    private static long safetensorsBytes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            long total = 0;
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".safetensors")) {
                    total += Files.size(p);
                }
            }
            return total;
        }
    }

    private static int groupSizeOf(Model model) {
        return ((SpikingLinear) model.weights().layers().get(0).attention().q()).weight().groupSize();
    }

    /** Mean of −log p(token | before) over every token but the first, as one document. */
    private static double meanNll(Model model, int[] tokens, Parallel parallel) {
        DocumentState doc = model.newState();
        double[] lp = model.forward(doc, tokens, 0, tokens.length, false, parallel).logProbs();
        double sum = 0;
        for (int i = 1; i < lp.length; i++) {
            sum -= lp[i];
        }
        return sum / (lp.length - 1);
    }
}
