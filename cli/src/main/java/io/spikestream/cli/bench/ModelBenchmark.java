package io.spikestream.cli.bench;

import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.model.DenseLinear;
import io.spikestream.engine.model.LayerKind;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.SyntheticState;
import io.spikestream.engine.tensor.Matrix;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures both architectures on the same random weights, in one run, at each document position p: a
 * prefill chunk and single-token decode steps against a state pre-filled to p. Prints a table, the
 * gla_swa/baseline ratios, how flat gla_swa's per-token cost stays, and the GEMM GFLOP/s on the prefill
 * shapes.
 */
public final class ModelBenchmark {
    private final Configuration config;
    private final DType dtype;
    private final List<Long> positions;
    private final int chunk;
    private final int decode;
    private final int repeat;
    private final int threads;
    private final long baselineBudget;
    private final PrintStream out;

    public ModelBenchmark(Configuration config, DType dtype, List<Long> positions, int chunk, int decode, int repeat, int threads,
                          long baselineBudget, PrintStream out) {
        if (chunk < 1 || decode < 1 || repeat < 1) {
            throw new IllegalArgumentException("--chunk, --decode and --repeat must be at least 1");
        }
        this.config = config;
        this.dtype = dtype;
        this.positions = positions;
        this.chunk = chunk;
        this.decode = decode;
        this.repeat = repeat;
        this.threads = threads;
        this.baselineBudget = baselineBudget;
        this.out = out;
    }

    public static Configuration preset(String name) {
        return switch (name) {
            case "small" -> Configuration.parse("""
                    {"model_type":"gla_swa","hidden_size":1024,"num_attention_heads":8,"num_key_value_heads":2,
                     "num_hidden_layers":8,"intermediate_size":2816,"vocab_size":32000,"sliding_window":4096,
                     "rope_theta":1000000.0,"norm_eps":1e-6,"attn_layers":[1,3,5,7]}""");
            case "tiny" -> Configuration.parse("""
                    {"model_type":"gla_swa","hidden_size":256,"num_attention_heads":4,"num_key_value_heads":2,
                     "num_hidden_layers":4,"intermediate_size":512,"vocab_size":4096,"sliding_window":512,
                     "rope_theta":10000.0,"norm_eps":1e-6,"attn_layers":[1,3]}""");
            // SpikingBrain-76B's layout with small dimensions: 2 of 8 layers full attention (76B: 4 of 28), 128 sinks,
            // 16 experts top-1 plus a shared one, the first two layers dense
            case "moe" -> Configuration.parse("""
                    {"model_type":"spikingbrain_moe","hidden_size":512,"num_attention_heads":8,"num_key_value_heads":2,
                     "num_hidden_layers":8,"intermediate_size":1408,"vocab_size":32000,"sliding_window":4096,
                     "rope_theta":1000000.0,"norm_eps":1e-6,"full_attention_layers":[3,7],"num_sink_tokens":128,
                     "dense_layers":[0,1],"num_experts":16,"num_experts_per_tok":1,"moe_intermediate_size":352,
                     "num_shared_experts":1,"shared_expert_intermediate_size":352}""");
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (small, tiny or moe)");
        };
    }

    /** The configuration with another layer count; the odd layers stay sliding-window layers. */
    public static Configuration withLayers(Configuration c, int layers) {
        if (c.moe() != null) {
            throw new IllegalArgumentException("--layers applies to gla_swa configurations; a spikingbrain_moe config names its layers "
                    + "(full_attention_layers, dense_layers): give one with the layer count you want");
        }
        List<Integer> attn = new ArrayList<>();
        for (int i = 1; i < layers; i += 2) {
            attn.add(i);
        }
        return new Configuration(c.hiddenSize(), c.numHeads(), c.numKvHeads(), layers, c.intermediateSize(), c.vocabSize(),
                c.slidingWindow(), c.ropeTheta(), c.normEps(), attn.stream().mapToInt(Integer::intValue).toArray(),
                c.tieWordEmbeddings(), c.bosTokenId(), c.eosTokenIds(), c.gateLowRankDim(), c.gateLogitNormalizer(), c.torchDtype());
    }

    /** One measured cell. */
    private record Cell(double prefillTokensPerSecond, double decodeTokensPerSecond, long stateBytes) {
    }

    public void run() {
        if (config.moe() != null) {
            runMoe();
            return;
        }
        out.printf(Locale.ROOT, "# SpikeStream bench: %s, %s weights, %d threads, prefill chunk %d, %d decode steps, best of %d; %s%n",
                config, dtype, threads, chunk, decode, repeat, jdk());
        long t0 = System.nanoTime();
        Model hybrid = Model.generate(config, dtype, 1);
        Model baseline = hybrid.withAllLayers(LayerKind.FULL_ATTENTION);
        out.printf(Locale.ROOT, "# weights: %.1f MiB, generated in %.1f s; baseline KV budget %.0f MiB%n",
                hybrid.weights().storedBytes() / 1048576.0, (System.nanoTime() - t0) / 1e9, baselineBudget / 1048576.0);
        try (Parallel parallel = new Parallel(threads)) {
            warmUp(hybrid, baseline, parallel);
            Map<Long, Cell> hybridCells = new LinkedHashMap<>();
            Map<Long, Cell> baselineCells = new LinkedHashMap<>();
            String baselineStop = null;
            for (long p : positions) {
                hybridCells.put(p, measure(hybrid, p, parallel));
                if (baselineStop == null) {
                    long need = baselineCacheBytes(p + chunk + decode);
                    if (need > baselineBudget) {
                        baselineStop = String.format(Locale.ROOT, "stopped at %s: its KV cache would need %.1f GiB (budget %.1f GiB)",
                                label(p), need / 1073741824.0, baselineBudget / 1073741824.0);
                    } else {
                        baselineCells.put(p, measure(baseline, p, parallel));
                    }
                }
                printRow(p, hybridCells.get(p), baselineCells.get(p));
            }
            printSummary(hybridCells, baselineCells, baselineStop);
            printGemm(hybrid, parallel);
            out.printf(Locale.ROOT, "{%s, %s, \"positions\": %d, \"threads\": %d, \"jdk\": \"%s\"}%n",
                    variantJson("gla_swa", hybridCells, hybrid), variantJson("full_attention", baselineCells, baseline),
                    positions.size(), threads, Runtime.version());
        }
    }

    /**
     * A spikingbrain_moe model alone (its layers cannot be swapped for a baseline): tokens/s and state bytes at
     * each position, the growing full-attention part shown, up to the budget the baseline would get.
     */
    private void runMoe() {
        out.printf(Locale.ROOT, "# SpikeStream bench: %s, %s weights, %d threads, prefill chunk %d, %d decode steps, best of %d; %s%n",
                config, dtype, threads, chunk, decode, repeat, jdk());
        long t0 = System.nanoTime();
        Model model = Model.generate(config, dtype, 1);
        long growing = model.growingStateBytesPerToken();
        out.printf(Locale.ROOT, "# weights: %.1f MiB (a token reads %.1f MiB: its experts only), generated with the sink constants in %.1f s; "
                        + "the full-attention layers %s add %d bytes of state per token; budget %.0f MiB%n",
                model.weights().storedBytes() / 1048576.0, model.decodeBytesPerToken() / 1048576.0, (System.nanoTime() - t0) / 1e9,
                java.util.Arrays.toString(config.moe().fullAttentionLayers()), growing, baselineBudget / 1048576.0);
        try (Parallel parallel = new Parallel(threads)) {
            out.println("# warming up (JIT) ...");
            for (int i = 0; i < 3; i++) {
                measureOnce(model, 1024, parallel);
            }
            out.println();
            out.printf(Locale.ROOT, "%-9s | %12s %12s %12s %14s%n", "position", "prefill t/s", "decode t/s", "state", "of it growing");
            out.println("-".repeat(9) + "-+-" + "-".repeat(53));
            Map<Long, Cell> cells = new LinkedHashMap<>();
            String stop = null;
            for (long p : positions) {
                if (growing * (p + chunk + decode) > baselineBudget) {
                    stop = String.format(Locale.ROOT, "stopped at %s: its full-attention keys and values would need %.1f GiB (budget %.1f GiB)",
                            label(p), growing * (p + chunk + decode) / 1073741824.0, baselineBudget / 1073741824.0);
                    break;
                }
                Cell c = measure(model, p, parallel);
                cells.put(p, c);
                long after = p + chunk + decode;
                out.printf(Locale.ROOT, "%-9s | %12.1f %12.2f %12s %14s%n", label(p), c.prefillTokensPerSecond, c.decodeTokensPerSecond,
                        bytes(c.stateBytes), bytes(growing * after));
                out.flush();
            }
            out.println();
            if (cells.size() > 1) {
                long first = cells.keySet().iterator().next();
                long last = cells.keySet().stream().reduce((x, y) -> y).orElseThrow();
                Cell a = cells.get(first);
                Cell z = cells.get(last);
                out.printf(Locale.ROOT, "per-token cost at %s relative to %s: prefill %.2fx, decode %.2fx; state %s → %s%n", label(last), label(first),
                        a.prefillTokensPerSecond / z.prefillTokensPerSecond, a.decodeTokensPerSecond / z.decodeTokensPerSecond,
                        bytes(a.stateBytes), bytes(z.stateBytes));
            }
            out.println("positions: " + (stop == null ? "ran at every one" : stop));
            StringBuilder byPosition = new StringBuilder();
            for (Map.Entry<Long, Cell> e : cells.entrySet()) {
                byPosition.append(byPosition.length() == 0 ? "" : ", ").append('"').append(e.getKey() + chunk + decode).append("\": ")
                        .append(e.getValue().stateBytes);
            }
            out.printf(Locale.ROOT, "{%s, \"full_attention_state_bytes_per_token\": %d, \"state_bytes_by_position\": {%s}, \"positions\": %d, "
                            + "\"threads\": %d, \"jdk\": \"%s\"}%n",
                    variantJson("spikingbrain_moe", cells, model), growing, byPosition, cells.size(), threads, Runtime.version());
        }
    }

    /**
     * A variant's JSON keys: tokens/s as the geometric mean over the positions it ran (null where it ran at none)
     * and the weight bytes a decode step reads.
     */
    private static String variantJson(String name, Map<Long, Cell> cells, Model model) {
        double prefill = 0;
        double decode = 0;
        for (Cell c : cells.values()) {
            prefill += Math.log(c.prefillTokensPerSecond);
            decode += Math.log(c.decodeTokensPerSecond);
        }
        int n = cells.size();
        return String.format(Locale.ROOT, "\"%1$s_prefill_tokens_per_second\": %2$s, \"%1$s_decode_tokens_per_second\": %3$s, "
                + "\"%1$s_decode_bytes_per_token\": %4$d", name, n == 0 ? "null" : String.format(Locale.ROOT, "%.3f", Math.exp(prefill / n)),
                n == 0 ? "null" : String.format(Locale.ROOT, "%.4f", Math.exp(decode / n)), model.decodeBytesPerToken());
    }

    private void warmUp(Model hybrid, Model baseline, Parallel parallel) {
        out.println("# warming up (JIT) ...");
        for (int i = 0; i < 3; i++) {
            measureOnce(hybrid, 1024, parallel);
            measureOnce(baseline, 1024, parallel);
        }
        out.println();
        out.printf(Locale.ROOT, "%-9s | %-38s | %-38s | %-15s%n", "", "gla_swa (constant state)", "full attention (baseline)", "gla_swa / baseline");
        out.printf(Locale.ROOT, "%-9s | %12s %12s %12s | %12s %12s %12s | %7s %7s%n",
                "position", "prefill t/s", "decode t/s", "state", "prefill t/s", "decode t/s", "KV cache", "prefill", "decode");
        out.println("-".repeat(9) + "-+-" + "-".repeat(38) + "-+-" + "-".repeat(38) + "-+-" + "-".repeat(15));
    }

    private Cell measure(Model model, long position, Parallel parallel) {
        Cell best = null;
        for (int r = 0; r < repeat; r++) {
            Cell c = measureOnce(model, position, parallel);
            best = best == null ? c : new Cell(Math.max(best.prefillTokensPerSecond, c.prefillTokensPerSecond),
                    Math.max(best.decodeTokensPerSecond, c.decodeTokensPerSecond), c.stateBytes);
        }
        return best;
    }

    private Cell measureOnce(Model model, long position, Parallel parallel) {
        DocumentState state = model.newState();
        SyntheticState.fill(state, position, 7);
        int[] tokens = new SplittableRandom(position).ints(chunk + decode, 0, config.vocabSize()).toArray();
        long start = System.nanoTime();
        model.forward(state, tokens, 0, chunk, false, parallel);
        double prefill = chunk / ((System.nanoTime() - start) / 1e9);
        start = System.nanoTime();
        for (int i = 0; i < decode; i++) {
            model.forward(state, tokens, chunk + i, 1, false, parallel);
        }
        double dec = decode / ((System.nanoTime() - start) / 1e9);
        return new Cell(prefill, dec, StateCodec.encodedSize(state));
    }

    private long baselineCacheBytes(long positionsHeld) {
        return (long) config.numLayers() * 2 * positionsHeld * config.numKvHeads() * config.headDim() * 4;
    }

    private void printRow(long p, Cell h, Cell b) {
        if (b == null) {
            out.printf(Locale.ROOT, "%-9s | %12.1f %12.2f %12s | %12s %12s %12s | %7s %7s%n", label(p),
                    h.prefillTokensPerSecond, h.decodeTokensPerSecond, bytes(h.stateBytes), "—", "—", "does not fit", "—", "—");
        } else {
            out.printf(Locale.ROOT, "%-9s | %12.1f %12.2f %12s | %12.1f %12.2f %12s | %6.2fx %6.2fx%n", label(p),
                    h.prefillTokensPerSecond, h.decodeTokensPerSecond, bytes(h.stateBytes),
                    b.prefillTokensPerSecond, b.decodeTokensPerSecond, bytes(b.stateBytes),
                    h.prefillTokensPerSecond / b.prefillTokensPerSecond, h.decodeTokensPerSecond / b.decodeTokensPerSecond);
        }
        out.flush();
    }

    private void printSummary(Map<Long, Cell> hybrid, Map<Long, Cell> baseline, String baselineStop) {
        out.println();
        long first = positions.get(0);
        long last = positions.get(positions.size() - 1);
        Cell a = hybrid.get(first);
        Cell z = hybrid.get(last);
        out.printf(Locale.ROOT, "gla_swa per-token cost at %s relative to %s: prefill %.2fx, decode %.2fx (1.00 = flat); state %s at both%s%n",
                label(last), label(first), a.prefillTokensPerSecond / z.prefillTokensPerSecond,
                a.decodeTokensPerSecond / z.decodeTokensPerSecond, bytes(z.stateBytes),
                a.stateBytes == z.stateBytes ? "" : " (" + bytes(a.stateBytes) + " at " + label(first) + ")");
        if (!baseline.isEmpty()) {
            long lastB = baseline.keySet().stream().reduce((x, y) -> y).orElseThrow();
            Cell b0 = baseline.get(first);
            Cell b1 = baseline.get(lastB);
            out.printf(Locale.ROOT, "baseline per-token cost at %s relative to %s: prefill %.2fx, decode %.2fx; KV cache %s%n",
                    label(lastB), label(first), b0.prefillTokensPerSecond / b1.prefillTokensPerSecond,
                    b0.decodeTokensPerSecond / b1.decodeTokensPerSecond, bytes(b1.stateBytes));
        }
        out.println("baseline: " + (baselineStop == null ? "ran at every position" : baselineStop));
    }

    /** GFLOP/s of the matrix products a prefill chunk runs, shape by shape. */
    private void printGemm(Model model, Parallel parallel) {
        out.println();
        out.printf(Locale.ROOT, "GEMM on the prefill shapes (%d tokens × weight [out, in], %s, %d threads):%n", chunk, dtype, threads);
        LayerWeights l = model.weights().layers().get(0);
        AttentionWeights a = l.attention();
        Map<String, Matrix> shapes = new LinkedHashMap<>();
        shapes.put("q_proj", ((DenseLinear) a.q()).weight());
        shapes.put("k_proj", ((DenseLinear) a.k()).weight());
        shapes.put("o_proj", ((DenseLinear) a.o()).weight());
        shapes.put("gate_proj", ((DenseLinear) l.gateProj()).weight());
        shapes.put("down_proj", l.downProj());
        shapes.put("lm_head", model.weights().lmHead());
        double flops = 0;
        double seconds = 0;
        Map<String, Double> ours = new LinkedHashMap<>();
        for (Map.Entry<String, Matrix> e : shapes.entrySet()) {
            Matrix w = e.getValue();
            float[] x = new float[chunk * w.cols()];
            for (int i = 0; i < x.length; i++) {
                x[i] = Matrix.uniform(3, i);
            }
            float[] y = new float[chunk * w.rows()];
            MatMul.matmul(w, null, x, chunk, y, parallel);
            long best = Long.MAX_VALUE;
            for (int r = 0; r < Math.max(3, repeat); r++) {
                long s = System.nanoTime();
                MatMul.matmul(w, null, x, chunk, y, parallel);
                best = Math.min(best, System.nanoTime() - s);
            }
            double f = 2.0 * chunk * w.rows() * w.cols();
            flops += f;
            seconds += best / 1e9;
            ours.put(w.rows() + ":" + w.cols(), f / best);
            out.printf(Locale.ROOT, "  %-10s [%6d, %6d]  %8.1f GFLOP/s%n", e.getKey(), w.rows(), w.cols(), f / best);
        }
        double all = flops / seconds / 1e9;
        out.printf(Locale.ROOT, "  %-10s %16s  %8.1f GFLOP/s%n", "all", "", all);
        NumpyGemm.run(chunk, threads, new ArrayList<>(ours.keySet()), out).ifPresent(numpy -> {
            out.printf(Locale.ROOT, "numpy sgemm (OpenBLAS, float32, %d threads) on the same shapes, in this run:%n", threads);
            for (Map.Entry<String, Double> e : numpy.entrySet()) {
                if (!e.getKey().equals("all")) {
                    Double mine = ours.get(e.getKey());
                    out.printf(Locale.ROOT, "  [%13s]  %8.1f GFLOP/s   SpikeStream %s ÷ numpy %.2fx%n", e.getKey().replace(":", ", "), e.getValue(),
                            dtype, mine == null ? Double.NaN : mine / e.getValue());
                }
            }
            out.printf(Locale.ROOT, "  all              %8.1f GFLOP/s   SpikeStream ÷ numpy %.2fx%n", numpy.get("all"), all / numpy.get("all"));
        });
    }

    /** The JVM the numbers were measured on (printed by every benchmark). */
    static String jdk() {
        return "JDK " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")";
    }

    static String label(long p) {
        if (p >= 1048576 && p % 1048576 == 0) {
            return p / 1048576 + "M";
        }
        if (p >= 1024 && p % 1024 == 0) {
            return p / 1024 + "K";
        }
        return Long.toString(p);
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }
}
