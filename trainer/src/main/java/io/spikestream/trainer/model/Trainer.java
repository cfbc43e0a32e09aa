package io.spikestream.trainer.model;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Next-token training on a token stream: random windows of {@code sequenceLength} tokens (from a seeded
 * generator), {@code batch} windows per step, AdamW with warm-up and cosine decay; validation on fixed
 * windows of a held-out stream. Same seed and data, same weights, bit for bit.
 */
public final class Trainer {
    /**
     * @param microBatch sequences whose gradients are held at once (gradient accumulation: the batch runs in
     *                   groups of this many; the result is the same bits for any value, only memory changes)
     */
    public record Settings(int sequenceLength, int batch, int steps, double peakRate, long seed, int validateEvery, int threads,
            Precision precision, int microBatch) {
        public Settings {
            if (sequenceLength < 2 || batch < 1 || steps < 1 || threads < 1) {
                throw new IllegalArgumentException("need sequenceLength >= 2, batch >= 1, steps >= 1, threads >= 1");
            }
            if (microBatch < 1 || microBatch > batch) {
                throw new IllegalArgumentException("the micro-batch must be between 1 and the batch (" + batch + "), got " + microBatch);
            }
            java.util.Objects.requireNonNull(precision, "precision");
        }

        /** float32 passes, the whole batch at once. */
        public Settings(int sequenceLength, int batch, int steps, double peakRate, long seed, int validateEvery, int threads) {
            this(sequenceLength, batch, steps, peakRate, seed, validateEvery, threads, Precision.FLOAT32, batch);
        }

        public Settings withPrecision(Precision p) {
            return new Settings(sequenceLength, batch, steps, peakRate, seed, validateEvery, threads, p, microBatch);
        }

        public Settings withThreads(int n) {
            return new Settings(sequenceLength, batch, steps, peakRate, seed, validateEvery, n, precision, microBatch);
        }

        public Settings withMicroBatch(int m) {
            return new Settings(sequenceLength, batch, steps, peakRate, seed, validateEvery, threads, precision, m);
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
        SplittableRandom random = new SplittableRandom(s.seed());
        int first = optimizer.steps();
        for (long skip = (long) first * s.batch(); skip > 0; skip--) {
            random.nextInt(train.length - s.sequenceLength());
        }
        // One gradient buffer per sequence in flight, added to the master gradient in sequence order: the same
        // bits for any thread count and any micro-batch.
        Passes passes = s.precision() == Precision.FLOAT64 ? new Float64Passes(p, s.microBatch())
                : new Float32Passes(p, s.microBatch(), s.precision() == Precision.BF16);
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
                pool.submit(passes::refresh).join();
                p.zeroGrads();
                double[] losses = new double[s.batch()];
                for (int g0 = 0; g0 < s.batch(); g0 += s.microBatch()) {
                    int base = g0;
                    int inFlight = Math.min(s.microBatch(), s.batch() - g0);
                    pool.submit(() -> java.util.stream.IntStream.range(0, inFlight).parallel().forEach(i ->
                            losses[base + i] = passes.lossAndGradients(i, sequences[base + i]))).join();
                    pool.submit(() -> passes.addGradients(inFlight, s.batch())).join();
                }
                double loss = 0;
                for (double l : losses) {
                    loss += l;
                }
                double rate = optimizer.rate(step);
                double norm = pool.submit(optimizer::step).join();
                boolean validate = step == s.steps() - 1 || (s.validateEvery() > 0 && (step + 1) % s.validateEvery() == 0);
                Double val = null;
                if (validate) {
                    pool.submit(passes::refresh).join();
                    validationLoss = validate(passes, s.microBatch(), validation, s.sequenceLength(), pool);
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

    /** The forward and backward passes of one precision, with gradient buffers for the sequences in flight. */
    private interface Passes {
        /** Re-reads the master weights (after an optimizer step). */
        void refresh();

        /** Clears slot {@code slot}'s gradients, then fills them from one sequence; returns its loss. */
        double lossAndGradients(int slot, int[] tokens);

        /** master gradient += slot gradient / divisor for slots 0..slots−1, in slot order for every element. */
        void addGradients(int slots, double divisor);

        /** Loss without gradients, on slot {@code slot}'s model (slots run in parallel). */
        double loss(int slot, int[] tokens);
    }

    /** {@link #validate(java.util.function.ToDoubleFunction, int[], int)} with the windows shared among the slots: the same sum, in window order. */
    private static double validate(Passes passes, int slots, int[] tokens, int sequenceLength, java.util.concurrent.ForkJoinPool pool) {
        int windows = tokens.length / sequenceLength;
        if (windows == 0) {
            throw new IllegalArgumentException("the validation stream is shorter than one sequence");
        }
        double[] losses = new double[windows];
        pool.submit(() -> java.util.stream.IntStream.range(0, Math.min(slots, windows)).parallel().forEach(slot -> {
            for (int w = slot; w < windows; w += slots) {
                losses[w] = passes.loss(slot, java.util.Arrays.copyOfRange(tokens, w * sequenceLength, (w + 1) * sequenceLength));
            }
        })).join();
        double sum = 0;
        for (double l : losses) {
            sum += l;
        }
        return sum / windows;
    }

    private static final class Float64Passes implements Passes {
        private final Parameters p;
        private final Parameters[] views;
        private final TrainingModel[] models;

        Float64Passes(Parameters p, int slots) {
            this.p = p;
            views = new Parameters[slots];
            models = new TrainingModel[slots];
            for (int b = 0; b < slots; b++) {
                views[b] = p.withOwnGradients();
                models[b] = new TrainingModel(views[b]);
            }
        }

        @Override
        public void refresh() {
        }

        @Override
        public double lossAndGradients(int slot, int[] tokens) {
            views[slot].zeroGrads();
            return models[slot].lossAndGradients(tokens);
        }

        @Override
        public void addGradients(int slots, double divisor) {
            for (int slot = 0; slot < slots; slot++) {
                for (String name : p.names()) {
                    double[] g = p.grad(name);
                    double[] gb = views[slot].grad(name);
                    for (int i = 0; i < g.length; i++) {
                        g[i] += gb[i] / divisor;
                    }
                }
            }
        }

        @Override
        public double loss(int slot, int[] tokens) {
            return models[slot].loss(tokens); // reads the shared weights only
        }
    }

    private static final class Float32Passes implements Passes {
        private final Parameters p;
        private final io.spikestream.trainer.float32.Weights weights;
        private final double[][] masterGrads; // indexed as the float32 buffers
        private final io.spikestream.trainer.float32.Gradients[] grads;
        private final io.spikestream.trainer.float32.Float32Model[] models;

        Float32Passes(Parameters p, int slots, boolean bf16) {
            this.p = p;
            this.masterGrads = p.names().stream().map(p::grad).toArray(double[][]::new);
            weights = new io.spikestream.trainer.float32.Weights(p, bf16);
            grads = new io.spikestream.trainer.float32.Gradients[slots];
            models = new io.spikestream.trainer.float32.Float32Model[slots];
            for (int b = 0; b < slots; b++) {
                grads[b] = new io.spikestream.trainer.float32.Gradients(p);
                models[b] = new io.spikestream.trainer.float32.Float32Model(weights);
            }
        }

        @Override
        public void refresh() {
            weights.refresh();
        }

        @Override
        public double lossAndGradients(int slot, int[] tokens) {
            grads[slot].zero();
            return models[slot].lossAndGradients(tokens, grads[slot]);
        }

        @Override
        public void addGradients(int slots, double divisor) {
            // tensors in parallel (called inside the pool), slots in order within each: the same bits as one thread
            java.util.stream.IntStream.range(0, masterGrads.length).parallel().forEach(n -> {
                double[] into = masterGrads[n];
                for (int slot = 0; slot < slots; slot++) {
                    float[] g = grads[slot].grad(n);
                    for (int i = 0; i < g.length; i++) {
                        into[i] += g[i] / divisor;
                    }
                }
            });
        }

        @Override
        public double loss(int slot, int[] tokens) {
            return models[slot].loss(tokens);
        }
    }

    /** Mean loss over consecutive windows of the held-out stream. */
    public static double validate(TrainingModel model, int[] tokens, int sequenceLength) {
        return validate(model::loss, tokens, sequenceLength);
    }

    /** Mean of {@code loss} over consecutive windows of the held-out stream. */
    public static double validate(java.util.function.ToDoubleFunction<int[]> loss, int[] tokens, int sequenceLength) {
        double sum = 0;
        int windows = 0;
        for (int from = 0; from + sequenceLength <= tokens.length; from += sequenceLength) {
            sum += loss.applyAsDouble(java.util.Arrays.copyOfRange(tokens, from, from + sequenceLength));
            windows++;
        }
        if (windows == 0) {
            throw new IllegalArgumentException("the validation stream is shorter than one sequence");
        }
        return sum / windows;
    }
}
