package io.spikestream.cli.bench;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.trainer.corpus.TrainingCorpus;
import io.spikestream.trainer.model.Parameters;
import io.spikestream.trainer.model.Precision;
import io.spikestream.trainer.model.Trainer;
import io.spikestream.trainer.model.TrainingModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./spikestream bench-train}: the training passes of each precision side by side in one run, on the
 * same data from the same initial weights for the same steps: tokens/s, and the validation loss of the
 * result (each path's own, and all evaluated by the float64 reference so they compare exactly).
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = {"Train the demo architecture with each --precisions path in one run (same data, same initial weights,",
            "same steps), --rounds times alternating, and print the best tokens/s of each, the ratio to the first path, and the",
            "validation losses (all evaluated by the float64 reference)."})
public final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", defaultValue = "models/demo-logs", description = "Tokenizer directory (default models/demo-logs).")
    Path tokenizerDir;
    @Option(names = "--generate-logs", defaultValue = "40000") int lines;
    @Option(names = "--log-hosts", defaultValue = "20") int hosts;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--steps", defaultValue = "100") int steps;
    @Option(names = "--warmup-steps", defaultValue = "20", description = "Steps run first with each path and thrown away (JIT warm-up).")
    int warmup;
    @Option(names = "--rounds", defaultValue = "3", description = "Measured runs of each path, alternating; the best of each is reported (default 3).")
    int rounds;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "128") int seq;
    @Option(names = "--lr", defaultValue = "3e-3") double lr;
    @Option(names = "--threads", description = "Training threads (default: the cores).") Integer threads;
    @Option(names = "--precisions", defaultValue = "float64,float32", split = ",", description = "Paths to run, the baseline first (default float64,float32).")
    List<String> precisions;
    @picocli.CommandLine.Mixin
    io.spikestream.cli.trainer.ArchitectureOptions architecture;

    @Override
    public Integer call() {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        TrainingCorpus.Split split = TrainingCorpus.split(TrainingCorpus.generated(seed, lines, hosts), 0.05);
        int[] train = LineScorer.encode(tokenizer, String.join("", split.training()));
        int[] validation = LineScorer.encode(tokenizer, String.join("", split.heldOut()));
        validation = java.util.Arrays.copyOf(validation, Math.min(validation.length, 16_384));
        Configuration config = architecture.configuration(tokenizer.vocabSize());
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        System.err.printf(Locale.ROOT, "bench-train: %,d parameters, %s; %,d training tokens, %,d validation tokens; %d steps of %d×%d"
                + " tokens after %d warm-up steps, %d rounds; %d threads%n", Parameters.random(config, seed).count(), config, train.length,
                validation.length, steps, batch, seq, warmup, rounds, nThreads);
        List<Precision> paths = new ArrayList<>();
        for (String p : precisions) {
            paths.add(Precision.parse(p.trim()));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        if (warmup > 0) {
            for (Precision precision : paths) {
                Trainer.train(Parameters.random(config, seed + 1), train, validation,
                        new Trainer.Settings(seq, batch, warmup, lr, seed + 1, 0, nThreads, precision, batch), r -> { });
            }
        }
        double[] best = new double[paths.size()];
        double[] reference = new double[paths.size()];
        double[] own = new double[paths.size()];
        for (int round = 1; round <= rounds; round++) {
            for (int k = 0; k < paths.size(); k++) {
                Precision precision = paths.get(k);
                Parameters p = Parameters.random(config, seed);
                long t0 = System.nanoTime();
                own[k] = Trainer.train(p, train, validation, new Trainer.Settings(seq, batch, steps, lr, seed, 0, nThreads, precision, batch),
                        r -> { });
                double seconds = (System.nanoTime() - t0) / 1e9;
                reference[k] = Trainer.validate(new TrainingModel(p), validation, seq);
                double tps = (double) steps * batch * seq / seconds;
                best[k] = Math.max(best[k], tps);
                System.err.printf(Locale.ROOT, "bench-train: round %d  %-8s %8.0f tokens/s  %6.1f s  validation loss %.5f (evaluated in float64: %.5f)%n",
                        round, precision.label(), tps, seconds, own[k], reference[k]);
            }
        }
        for (int k = 0; k < paths.size(); k++) {
            System.err.printf(Locale.ROOT, "bench-train: %-8s best %8.0f tokens/s  %.2fx %s  validation loss %.5f%n", paths.get(k).label(), best[k],
                    best[k] / best[0], paths.get(0).label(), reference[k]);
            json.put(paths.get(k).label() + "_tokens_per_second", round(best[k], 1));
            json.put(paths.get(k).label() + "_validation_loss", round(reference[k], 5));
            json.put(paths.get(k).label() + "_ratio", round(best[k] / best[0], 3));
        }
        StringBuilder out = new StringBuilder("{");
        json.forEach((k, v) -> out.append(out.length() > 1 ? ", " : "").append(io.spikestream.engine.json.Json.quote(k)).append(": ").append(v));
        System.out.println(out.append(", \"threads\": ").append(nThreads).append(", \"steps\": ").append(steps).append(", \"rounds\": ").append(rounds).append('}'));
        return 0;
    }

    private static double round(double x, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(x * f) / f;
    }
}
