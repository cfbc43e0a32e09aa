package io.spikestream.cli.trainer;

import io.spikestream.engine.model.Configuration;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.trainer.corpus.LegalCorpus;
import io.spikestream.trainer.corpus.TrainingCorpus;
import io.spikestream.trainer.model.AdamW;
import io.spikestream.trainer.model.ModelWriter;
import io.spikestream.trainer.model.Parameters;
import io.spikestream.trainer.model.Precision;
import io.spikestream.trainer.model.Trainer;
import io.spikestream.trainer.model.TrainingState;
import io.spikestream.trainer.tokenizer.BpeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ./spikestream train}: trains a gla_swa model (and its tokenizer) on text, writes an engine checkpoint. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a gla_swa model on text (files, or a generated service log) and write it as a checkpoint the",
            "engine loads: config.json, model.safetensors, tokenizer files, trainer-state.safetensors for --resume, and",
            "calibration.json (quantiles of per-line surprisal on the held-out text, for --alert-threshold p99.9)."})
public final class TrainCommand implements Callable<Integer> {
    static final int MAX_VALIDATION_TOKENS = 16_384;

    @Option(names = "--out", required = true, description = "Model directory to write (checkpoints go here too).")
    Path out;

    @Option(names = "--corpus", arity = "1..*", description = {"UTF-8 text files (one document each), or one .jsonl.gz corpus from",
        "legal-corpus (held out by file as it says). Default: a generated service log."})
    List<Path> corpus;

    @Option(names = "--generate-logs", defaultValue = "100000", description = "Lines of generated service log when no --corpus (default 100000).")
    int generatedLines;

    @Option(names = "--log-hosts", defaultValue = "1", description = "Generated log: from this many hosts, one after the other (default 1).")
    int logHosts;

    @Option(names = "--tokenizer", description = "Use this tokenizer (vocab.json + merges.txt) instead of training one.")
    Path tokenizerDir;

    @Option(names = "--vocab-size", defaultValue = "1024", description = "Vocabulary of the tokenizer trained on the corpus (default 1024).")
    int vocabSize;

    @Option(names = "--init", description = "Start from this gla_swa model (its config, weights and tokenizer), e.g. one from `convert`.")
    Path init;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out (weights, optimizer state, step).")
    boolean resume;

    @picocli.CommandLine.Mixin
    ArchitectureOptions architecture;

    @Option(names = "--steps", defaultValue = "600") int steps;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "128", description = "Tokens per training sequence (default 128).") int seq;
    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default 3e-3).") double lr;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--threads", description = "Training threads (default: the cores; results do not depend on it).") Integer threads;
    @Option(names = "--validation", defaultValue = "0.05", description = "Held-out fraction of the corpus (default 0.05).") double validationFraction;
    @Option(names = "--checkpoint-every", defaultValue = "100") int checkpointEvery;
    @Option(names = "--precision", defaultValue = "float32", description = {"Arithmetic of the forward and backward passes: float32",
        "(default; Vector API kernels), bf16 (float32 passes on bf16-rounded weights: the model the bf16 checkpoint holds)",
        "or float64 (the reference). The optimizer and master weights are float64 in every case."}) String precision;
    @Option(names = "--micro-batch", description = "Sequences whose gradients are held at once (default: the whole batch);"
            + " smaller values accumulate the batch in groups, for the same result in less memory.") Integer microBatch;
    @Option(names = "--dtype", defaultValue = "bf16", description = "Weight format of the written model: bf16 (default) or f32.") String dtype;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        Files.createDirectories(out);
        List<LegalCorpus.Document> legal = legalCorpus() ? LegalCorpus.read(corpus.get(0)) : null;
        TrainingCorpus.Split split = legal != null ? LegalCorpus.split(legal) : TrainingCorpus.split(corpus(), validationFraction);
        Path tokDir = tokenizer(split.training());
        Tokenizer tokenizer = Tokenizer.load(tokDir);
        int[] train = encode(tokenizer, split.training());
        int[] validation = encode(tokenizer, split.heldOut());
        if (validation.length > MAX_VALIDATION_TOKENS) {
            validation = java.util.Arrays.copyOf(validation, MAX_VALIDATION_TOKENS); // validation runs at every checkpoint
        }
        Parameters p;
        if (resume) {
            p = Parameters.load(out);
        } else if (init != null) {
            p = Parameters.load(init);
        } else {
            p = Parameters.random(config(tokenizer.vocabSize()), seed);
        }
        if (p.config().vocabSize() < tokenizer.vocabSize()) {
            throw new IllegalArgumentException("the model's vocabulary (" + p.config().vocabSize() + ") is smaller than the tokenizer's ("
                    + tokenizer.vocabSize() + ")");
        }
        AdamW optimizer = new AdamW(p, AdamW.Settings.defaults(lr, steps));
        if (resume) {
            TrainingState.restore(out, p, optimizer);
        }
        DType format = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype must be bf16 or f32, got " + dtype);
        };
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        System.err.printf(Locale.ROOT, "train: %,d parameters, %s; %,d training tokens, %,d validation tokens; %d steps of %d×%d tokens, %s%s%n",
                p.count(), p.config(), train.length, validation.length, steps, batch, seq, Precision.parse(precision).label(),
                optimizer.steps() > 0 ? ", resuming at step " + optimizer.steps() : "");
        Trainer.Settings settings = new Trainer.Settings(seq, batch, steps, lr, seed, checkpointEvery, nThreads, Precision.parse(precision),
                microBatch != null ? microBatch : batch);
        final Path tokenizerFiles = tokDir;
        double val = Trainer.train(p, optimizer, train, validation, settings, progress -> {
            if (progress.step() % 10 == 0 || progress.validationLoss() != null) {
                System.err.println("train: " + progress);
            }
        }, step -> {
            if (step % checkpointEvery == 0 || step == steps) {
                try {
                    ModelWriter.write(out, p, format, tokenizerFiles);
                    TrainingState.save(out, p, optimizer);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot write the checkpoint to " + out, e);
                }
            }
        });
        long bytes = Files.size(out.resolve("model.safetensors"));
        System.err.printf(Locale.ROOT, "train: done in %.0f s; validation loss %.4f nats/token (perplexity %.2f); model %s: %,d bytes%n",
                (System.nanoTime() - start) / 1e9, val, Math.exp(val), out, bytes);
        Calibration calibration = Calibrator.calibrate(out, legal != null ? Calibrator.heldOutFiles(legal) : List.of(split.heldOutLines()), split.training(), (legalCorpus() ? "held-out files" : "held-out " + validationFraction) + " of "
                + (corpus != null ? corpus : "a generated service log of " + generatedLines + " lines (seed " + seed + ", " + logHosts + (logHosts == 1 ? " host)" : " hosts)")),
                legal != null ? LengthNorms.Form.PER_TOKEN : LengthNorms.Form.BY_LENGTH, threads); // legal text is wrapped prose
        System.err.println("train: calibration of per-line surprisal on the held-out text: " + calibration + " -> " + out.resolve(Calibration.FILE)
                + Calibrator.describe(calibration));
        return 0;
    }

    /** A corpus built by `legal-corpus`: its documents say which are held out (by file), --validation does not apply. */
    private boolean legalCorpus() {
        if (corpus == null || corpus.stream().noneMatch(LegalCorpus::isCorpusFile)) {
            return false;
        }
        if (corpus.size() != 1) {
            throw new IllegalArgumentException("a .jsonl.gz corpus (from legal-corpus) must be the only --corpus file");
        }
        return true;
    }

    private List<String> corpus() throws IOException {
        return corpus != null ? TrainingCorpus.ofFiles(corpus) : TrainingCorpus.generated(seed, generatedLines, logHosts);
    }

    private Path tokenizer(List<String> trainingText) throws IOException {
        if (resume) {
            return out;
        }
        if (init != null) {
            return init;
        }
        if (tokenizerDir != null) {
            return tokenizerDir;
        }
        BpeTrainer bpe = new BpeTrainer();
        trainingText.forEach(t -> LineScorer.units(t).forEach(bpe::add)); // pre-tokens as scoring sees them
        bpe.train(vocabSize, BpeTrainer.DEFAULT_SPECIALS).write(out);
        return out;
    }

    private static int[] encode(Tokenizer tokenizer, List<String> docs) {
        return LineScorer.encode(tokenizer, String.join("", docs)); // line by line, as the lines are scored
    }

    private Configuration config(int vocab) {
        return architecture.configuration(vocab);
    }

}
