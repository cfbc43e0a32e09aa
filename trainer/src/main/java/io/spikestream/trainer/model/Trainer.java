package io.spikestream.trainer.model;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Next-token training on a token stream: random windows of {@code sequenceLength} tokens (from a seeded
 * generator), {@code batch} windows per step, AdamW with warm-up and cosine decay; validation on fixed
 * windows of a held-out stream. Same seed and data, same weights, bit for bit.
 */
public final class Trainer {
    public record Settings(int sequenceLength, int batch, int steps, double peakRate, long seed, int validateEvery, int threads) {
        public Settings {
            if (sequenceLength < 2 || batch < 1 || steps < 1 || threads < 1) {
                throw new IllegalArgumentException("need sequenceLength >= 2, batch >= 1, steps >= 1, threads >= 1");
            }
        }
    }

    /** One progress report. */
    public record Progress(int step, int steps, double loss, double rate, double gradNorm, double tokensPerSecond, double etaSeconds,
            Double validationLoss) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s  eta %.0f s%s", step,
                    steps, loss, rate, gradNorm, tokensPerSecond, etaSeconds,
                    validationLoss == null ? "" : String.format(java.util.Locale.ROOT, "  val %.4f", validationLoss));
        }
    }

    private Trainer() {
    }

    /** Trains {@code p} in place from step 0; returns the final validation loss. */
    public static double train(Parameters p, int[] train, int[] validation, Settings s, Consumer<Progress> progress) {
        return train(p, new AdamW(p, AdamW.Settings.defaults(s.peakRate(), s.steps())), train, validation, s, progress, step -> { });
    }

    /**
     * Trains {@code p} from the optimizer's step count on (0, or a restored {@link TrainingState}) to
     * {@code s.steps()}; {@code afterStep} runs after each step (checkpointing). The batch sampler is replayed
     * up to the starting step, so a resumed run continues exactly as the uninterrupted one would have.
     */
    public static double train(Parameters p, AdamW optimizer, int[] train, int[] validation, Settings s, Consumer<Progress> progress,
            java.util.function.IntConsumer afterStep) {
        if (train.length <= s.sequenceLength()) {
            throw new IllegalArgumentException("the training stream (" + train.length + " tokens) must be longer than a sequence ("
                    + s.sequenceLength() + ")");
        }
        TrainingModel model = new TrainingModel(p);
        SplittableRandom random = new SplittableRandom(s.seed());
        int first = optimizer.steps();
        for (long skip = (long) first * s.batch(); skip > 0; skip--) {
            random.nextInt(train.length - s.sequenceLength());
        }
        // One gradient buffer per sequence of a batch, summed in sequence order: the same bits for any thread count.
        Parameters[] views = new Parameters[s.batch()];
        TrainingModel[] models = new TrainingModel[s.batch()];
        for (int b = 0; b < s.batch(); b++) {
            views[b] = p.withOwnGradients();
            models[b] = new TrainingModel(views[b]);
        }
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(s.threads());
        long start = System.nanoTime();
        double validationLoss = Double.NaN;
        try {
        for (int step = first; step < s.steps(); step++) {
            int[][] sequences = new int[s.batch()][];
            for (int b = 0; b < s.batch(); b++) {
                int from = random.nextInt(train.length - s.sequenceLength());
                sequences[b] = java.util.Arrays.copyOfRange(train, from, from + s.sequenceLength());
            }
            double[] losses = new double[s.batch()];
            pool.submit(() -> java.util.stream.IntStream.range(0, s.batch()).parallel().forEach(b -> {
                views[b].zeroGrads();
                losses[b] = models[b].lossAndGradients(sequences[b]);
            })).join();
            p.zeroGrads();
            double loss = 0;
            for (int b = 0; b < s.batch(); b++) {
                loss += losses[b];
                for (String name : p.names()) {
                    double[] g = p.grad(name);
                    double[] gb = views[b].grad(name);
                    for (int i = 0; i < g.length; i++) {
                        g[i] += gb[i] / s.batch();
                    }
                }
            }
            double rate = optimizer.rate(step);
            double norm = optimizer.step();
            boolean validate = step == s.steps() - 1 || (s.validateEvery() > 0 && (step + 1) % s.validateEvery() == 0);
            Double val = null;
            if (validate) {
                validationLoss = validate(model, validation, s.sequenceLength());
                val = validationLoss;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double tokens = (double) (step + 1 - first) * s.batch() * s.sequenceLength();
            progress.accept(new Progress(step + 1, s.steps(), loss / s.batch(), rate, norm, tokens / seconds,
                    seconds / (step + 1 - first) * (s.steps() - step - 1), val));
            afterStep.accept(step + 1);
        }
        } finally {
            pool.shutdown();
        }
        return validationLoss;
    }

    /** Mean loss over consecutive windows of the held-out stream. */
    public static double validate(TrainingModel model, int[] tokens, int sequenceLength) {
        double sum = 0;
        int windows = 0;
        for (int from = 0; from + sequenceLength <= tokens.length; from += sequenceLength) {
            sum += model.loss(java.util.Arrays.copyOfRange(tokens, from, from + sequenceLength));
            windows++;
        }
        if (windows == 0) {
            throw new IllegalArgumentException("the validation stream is shorter than one sequence");
        }
        return sum / windows;
    }
}
