package io.spikestream.cli.trainer;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.trainer.corpus.LegalCorpus;
import io.spikestream.trainer.eval.ClauseInsertion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ./spikestream clause-test}: does a document model single out a clause no licence has? */
@Command(name = "clause-test", mixinStandardHelpOptions = true,
        description = {"Insert each of ten unusual clauses into every held-out document of a legal corpus (from legal-corpus)",
            "with enough paragraphs, score each paragraph under the model (by the length-aware score of its calibration.json,",
            "or --rank mean: by mean surprisal), and report how often the inserted one ranks first (and a random ranking's",
            "rate), plus the perplexity of the unmodified held-out documents."})
public final class ClauseTestCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory (with its tokenizer).") Path model;
    @Option(names = "--corpus", required = true, description = "Corpus from legal-corpus (.jsonl.gz); its held-out documents are used.")
    Path corpus;
    @Option(names = "--min-paragraphs", defaultValue = "5", description = "Documents with fewer paragraphs are only used for perplexity (default 5).")
    int minParagraphs;
    @Option(names = "--min-tokens", defaultValue = "0", description = {"Rank the clause only against paragraphs of at least this many",
        "tokens (default 0: all of them; short headings have a high mean surprisal whatever they say)."}) int minTokens;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the insertion positions (default 1).") long seed;
    @Option(names = "--threads", description = "Engine threads (default: the cores).") Integer threads;
    @Option(names = "--verbose", description = "Print every trial.") boolean verbose;
    @Option(names = "--segment", defaultValue = "paragraph", description = {"paragraph (the default) or line: rank the clause among the",
        "document's paragraphs, or among its lines (the clause is one unwrapped line)."}) String segment;
    @Option(names = "--rank", description = {"calibrated (the paragraph norms of the model's calibration.json; the default when it",
        "has them) or mean (mean surprisal, as before 0.3; the default otherwise)."}) String rank;

    @Override
    public Integer call() throws IOException {
        SegmentKind kind = SegmentKind.parse(segment);
        if (rank == null) {
            rank = Calibration.read(model).flatMap(c -> c.norms(kind)).isPresent() ? "calibrated" : "mean";
        }
        ClauseInsertion.Ranking ranking = switch (rank) {
            case "mean" -> new ClauseInsertion.Ranking(kind, null, null);
            case "calibrated" -> {
                Calibration c = Calibration.read(model).orElseThrow(() -> new IllegalArgumentException(model + " has no " + Calibration.FILE
                        + ": `./spikestream calibrate --model " + model + " --corpus " + corpus + "` writes one, or use --rank mean"));
                LengthNorms norms = c.norms(kind).orElseThrow(() -> new IllegalArgumentException(model.resolve(Calibration.FILE)
                        + " has no " + kind.label() + " norms (written before 0.3?): `./spikestream calibrate --model " + model + " --corpus " + corpus
                        + "` rewrites it, or use --rank mean"));
                yield new ClauseInsertion.Ranking(kind, norms, c.background() == null ? null : c.background().surprisals());
            }
            default -> throw new IllegalArgumentException("--rank is calibrated or mean, got '" + rank + "'");
        };
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            long t0 = System.nanoTime();
            ClauseInsertion.Report r = ClauseInsertion.run(engine, LegalCorpus.read(corpus), ClauseInsertion.UNUSUAL_CLAUSES, minParagraphs, minTokens, seed,
                    ranking);
            if (verbose) {
                for (ClauseInsertion.Trial t : r.trials()) {
                    System.err.printf(Locale.ROOT, "clause-test: %-45s clause %d after paragraph %3d, one of %3d %ss: rank %3d (%.3f vs best other %.3f)%s%n",
                            t.source(), t.clause(), t.position(), t.paragraphs(), kind.label(), t.rank(), t.insertedScore(), t.bestOtherScore(),
                            t.crossRank() == 0 ? "" : "; cross-calibrated rank " + t.crossRank());
                }
            }
            System.err.printf(Locale.ROOT, "clause-test: %d insertions into %d held-out documents (>= %d paragraphs%s), ranked by %s: the inserted"
                            + " clause is the most surprising " + kind.label() + " in %.1f%% (a random ranking: %.1f%%), mean reciprocal rank %.3f%s; held-out"
                            + " perplexity %.3f over %,d tokens (%.0f s)%n", r.trials().size(), r.documents(), minParagraphs,
                    minTokens > 0 ? "; ranked among paragraphs of >= " + minTokens + " tokens" : "",
                    ranking.norms() == null ? "mean surprisal" : "the length-aware score (" + ranking.norms().statistic().label() + ", "
                            + ranking.norms().form().label() + ")",
                    100 * r.top1(), 100 * r.top1Random(), r.meanReciprocalRank(), Double.isNaN(r.top1Cross()) ? ""
                            : String.format(Locale.ROOT, "; with norms fitted on the other half of the held-out documents alone: %.1f%%", 100 * r.top1Cross()),
                    r.heldOutPerplexity(), r.heldOutTokens(), (System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "{\"min_tokens\": %d, \"insertions\": %d, \"documents\": %d, \"top1\": %.4f, \"top1_random\": %.4f, \"mrr\": %.4f,"
                            + " \"heldout_perplexity\": %.4f, \"heldout_tokens\": %d, \"ranking\": \"%s\", \"top1_cross\": %s, \"segment\": \"%s\"}%n", minTokens, r.trials().size(),
                    r.documents(), r.top1(), r.top1Random(), r.meanReciprocalRank(), r.heldOutPerplexity(), r.heldOutTokens(), rank,
                    Double.isNaN(r.top1Cross()) ? "null" : String.format(Locale.ROOT, "%.4f", r.top1Cross()), kind.label());
        }
        return 0;
    }
}
