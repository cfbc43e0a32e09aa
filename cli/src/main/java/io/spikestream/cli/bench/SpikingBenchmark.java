package io.spikestream.cli.bench;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.spiking.PostTrainingQuantizer;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.SyntheticState;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bench --spiking}: the same random weights as dense BF16 and as W8ASpike (post-training quantized:
 * spiking projections, weight-only int8 down_proj), in one run, at each document position: prefill and
 * decode tokens/s, state bytes, weight bytes and the share of weight rows decode skipped. Ends with one JSON
 * line of spiking ÷ dense ratios (geometric means over the positions).
 */
public final class SpikingBenchmark {
    private final Configuration config;
    private final List<Long> positions;
    private final int chunk;
    private final int decode;
    private final int repeat;
    private final int threads;
    private final int group;
    private final PrintStream out;

    public SpikingBenchmark(Configuration config, List<Long> positions, int chunk, int decode, int repeat, int threads, int group,
                            PrintStream out) {
        if (chunk < 1 || decode < 1 || repeat < 1) {
            throw new IllegalArgumentException("--chunk, --decode and --repeat must be at least 1");
        }
        this.config = config;
        this.positions = positions;
        this.chunk = chunk;
        this.decode = decode;
        this.repeat = repeat;
        this.threads = threads;
        this.group = group;
        this.out = out;
    }

    private record Cell(double prefill, double decode, long stateBytes, double skipped) {
    }

    public void run() {
        out.printf(Locale.ROOT, "# SpikeStream bench --spiking: %s, dense BF16 vs W8ASpike (groups of %d), %d threads, prefill chunk %d, "
                + "%d decode steps, best of %d; %s%n", config, group, threads, chunk, decode, repeat, ModelBenchmark.jdk());
        long t0 = System.nanoTime();
        Model dense = Model.generate(config, DType.BF16, 1);
        Model spiking = PostTrainingQuantizer.quantize(dense, group, true);
        long denseLayers = dense.weights().layerBytes();
        long spikingLayers = spiking.weights().layerBytes();
        long denseAll = dense.weights().storedBytes();
        long spikingAll = spiking.weights().storedBytes();
        out.printf(Locale.ROOT, "# weights of the decoder layers: dense %.1f MiB, W8ASpike %.1f MiB (%.3fx); with embeddings and lm_head "
                        + "(float in both): %.1f MiB vs %.1f MiB (%.3fx); quantized in %.1f s%n", denseLayers / 1048576.0,
                spikingLayers / 1048576.0, (double) spikingLayers / denseLayers, denseAll / 1048576.0, spikingAll / 1048576.0,
                (double) spikingAll / denseAll, (System.nanoTime() - t0) / 1e9);
        double logPrefill = 0;
        double logDecode = 0;
        double skipped = 0;
        double[] denseLog = new double[2]; // summed ln tokens/s of prefill and decode
        double[] spikingLog = new double[2];
        try (Parallel parallel = new Parallel(threads)) {
            out.println("# warming up (JIT) ...");
            for (int i = 0; i < 3; i++) {
                measureOnce(dense, 1024, parallel);
                measureOnce(spiking, 1024, parallel);
            }
            out.printf(Locale.ROOT, "%-9s | %-36s | %-36s | %-15s%n", "", "dense BF16", "W8ASpike", "spiking / dense");
            out.printf(Locale.ROOT, "%-9s | %11s %11s %12s | %11s %11s %12s | %7s %7s%n", "position", "prefill t/s", "decode t/s",
                    "state", "prefill t/s", "decode t/s", "state", "prefill", "decode");
            for (long p : positions) {
                // Alternate the two models, best of each: a burst of load on the shared machine hits both alike.
                Cell d = null;
                Cell s = null;
                for (int r = 0; r < repeat; r++) {
                    d = best(d, measureOnce(dense, p, parallel));
                    s = best(s, measureOnce(spiking, p, parallel));
                }
                logPrefill += Math.log(s.prefill / d.prefill);
                logDecode += Math.log(s.decode / d.decode);
                denseLog[0] += Math.log(d.prefill);
                denseLog[1] += Math.log(d.decode);
                spikingLog[0] += Math.log(s.prefill);
                spikingLog[1] += Math.log(s.decode);
                skipped += s.skipped;
                out.printf(Locale.ROOT, "%-9s | %11.1f %11.2f %12s | %11.1f %11.2f %12s | %6.2fx %6.2fx%n", ModelBenchmark.label(p),
                        d.prefill, d.decode, ModelBenchmark.bytes(d.stateBytes), s.prefill, s.decode, ModelBenchmark.bytes(s.stateBytes),
                        s.prefill / d.prefill, s.decode / d.decode);
                out.flush();
            }
        }
        int n = positions.size();
        double prefillRatio = Math.exp(logPrefill / n);
        double decodeRatio = Math.exp(logDecode / n);
        double weightRatio = (double) spikingLayers / denseLayers;
        out.printf(Locale.ROOT, "spiking / dense (geometric mean over %d positions): prefill %.2fx, decode %.2fx; decoder-layer weight bytes "
                + "%.3fx; decode skipped %.1f%% of the spiking projections' weight rows (zero spike counts)%n", n, prefillRatio,
                decodeRatio, weightRatio, 100 * skipped / n);
        out.printf(Locale.ROOT, "{\"prefill_ratio\": %.4f, \"decode_ratio\": %.4f, \"weight_bytes_ratio\": %.4f, \"skipped_fraction\": %.4f, "
                        + "\"weight_bytes_ratio_with_embeddings\": %.4f, "
                        + "\"dense_prefill_tokens_per_second\": %.3f, \"dense_decode_tokens_per_second\": %.4f, \"dense_decode_bytes_per_token\": %d, "
                        + "\"spiking_prefill_tokens_per_second\": %.3f, \"spiking_decode_tokens_per_second\": %.4f, "
                        + "\"spiking_decode_bytes_per_token\": %d, \"positions\": %d, \"threads\": %d, \"jdk\": \"%s\"}%n",
                prefillRatio, decodeRatio, weightRatio, skipped / n, (double) spikingAll / denseAll,
                Math.exp(denseLog[0] / n), Math.exp(denseLog[1] / n), dense.decodeBytesPerToken(),
                Math.exp(spikingLog[0] / n), Math.exp(spikingLog[1] / n), spiking.decodeBytesPerToken(), n, threads,
                Runtime.version());
    }

    private static Cell best(Cell best, Cell c) {
        return best == null ? c : new Cell(Math.max(best.prefill, c.prefill), Math.max(best.decode, c.decode), c.stateBytes, c.skipped);
    }

    private Cell measureOnce(Model model, long position, Parallel parallel) {
        DocumentState state = model.newState();
        SyntheticState.fill(state, position, 7);
        int[] tokens = new SplittableRandom(position).ints(chunk + decode, 0, config.vocabSize()).toArray();
        long start = System.nanoTime();
        model.forward(state, tokens, 0, chunk, false, parallel);
        double prefill = chunk / ((System.nanoTime() - start) / 1e9);
        SpikeStatistics stats = model.spiking() ? model.newSpikeStatistics() : null;
        start = System.nanoTime();
        for (int i = 0; i < decode; i++) {
            Model.Result r = model.forward(state, tokens, chunk + i, 1, false, parallel);
            if (stats != null) {
                stats.merge(r.spikes());
            }
        }
        double dec = decode / ((System.nanoTime() - start) / 1e9);
        return new Cell(prefill, dec, StateCodec.encodedSize(state), stats == null ? 0 : stats.skippedFraction());
    }
}
