package io.spikestream.trainer.eval;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.tokenizer.TokenizerMode;
import io.spikestream.engine.testing.TestData;
import io.spikestream.trainer.corpus.LegalCorpus;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped legal model on the committed corpus: it knows licence text, and singles out clauses no licence has. */
class ClauseInsertionTest {
    static final Path MODEL = TestData.repositoryRoot().resolve("models").resolve("demo-legal");
    static final Path CORPUS = TestData.repositoryRoot().resolve("data").resolve("legal").resolve("corpus.jsonl.gz");

    @Test
    void theShippedLegalModelFitsItsBudget() throws Exception {
        long bytes = 0;
        try (var files = java.nio.file.Files.list(MODEL)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                bytes += java.nio.file.Files.size(f);
            }
        }
        assertThat(bytes).as("models/demo-legal, all files").isLessThanOrEqualTo(8L << 20);
        assertThat(java.nio.file.Files.exists(MODEL.resolve("trainer-state.safetensors"))).as("the resumable state is not shipped").isFalse();
    }

    @Test
    void scoresAreMeanSurprisalsOfEachParagraphsOwnTokensTokenizedLineByLine() throws Exception {
        try (Engine engine = Engine.load(MODEL, new EngineOptions(2))) {
            List<String> paragraphs = List.of("This program is free software; you can redistribute it.", "Files: *\nCopyright: 2020 Someone");
            double[] scores = ClauseInsertion.scores(engine, paragraphs);
            // the document as the model was trained: each line with its newline tokenized on its own; the blank line too
            List<String> lines = List.of("This program is free software; you can redistribute it.\n", "\n", "Files: *\n", "Copyright: 2020 Someone\n");
            List<int[]> ids = lines.stream().map(l -> engine.tokenizer().orElseThrow().encodeWithOffsets(l, TokenizerMode.LITERAL).ids()).toList();
            int[] all = ids.stream().flatMapToInt(java.util.Arrays::stream).toArray();
            var r = engine.advance(engine.newDocument(), all);
            int a = ids.get(0).length;
            int b = a + ids.get(1).length;
            double first = 0;
            for (int i = 1; i < a; i++) { // the document's first token has no prediction
                first += r.surprisal(i);
            }
            double last = 0;
            for (int i = b; i < all.length; i++) {
                last += r.surprisal(i);
            }
            assertThat(scores).hasSize(2);
            assertThat(scores[0]).isEqualTo(first / (a - 1));
            assertThat(scores[1]).isEqualTo(last / (all.length - b));
        }
    }

    @Test
    void theInsertedClauseIsUsuallyTheMostSurprisingParagraphOfAHeldOutText() throws Exception {
        // a quick subset for CI: held-out documents under 5,000 characters (the full run is `clause-test`: 39 documents)
        List<LegalCorpus.Document> docs = LegalCorpus.read(CORPUS).stream()
                .filter(d -> d.heldOut() && d.text().length() < 5_000).toList();
        Calibration c = Calibration.read(MODEL).orElseThrow();
        ClauseInsertion.Ranking calibrated = new ClauseInsertion.Ranking(SegmentKind.PARAGRAPH, c.norms(SegmentKind.PARAGRAPH).orElseThrow(), c.background().surprisals());
        try (Engine engine = Engine.load(MODEL, new EngineOptions(2))) {
            ClauseInsertion.Report mean = ClauseInsertion.run(engine, docs, ClauseInsertion.UNUSUAL_CLAUSES, 5, 1);
            ClauseInsertion.Report r = ClauseInsertion.run(engine, docs, ClauseInsertion.UNUSUAL_CLAUSES, 5, 0, 1, calibrated);
            System.out.printf("clause insertion subset: %d trials in %d documents, top-1 %.3f (cross-calibrated %.3f; by mean surprisal %.3f; random %.3f),"
                    + " MRR %.3f, perplexity %.2f%n", r.trials().size(), r.documents(), r.top1(), r.top1Cross(), mean.top1(), r.top1Random(),
                    r.meanReciprocalRank(), r.heldOutPerplexity());
            assertThat(r.documents()).isGreaterThanOrEqualTo(10);
            assertThat(r.trials()).extracting(ClauseInsertion.Trial::position).isEqualTo(mean.trials().stream().map(ClauseInsertion.Trial::position).toList());
            assertThat(mean.top1()).as("by mean surprisal (measured %s)", "0.635").isGreaterThan(3 * r.top1Random());
            assertThat(r.top1()).as("by the calibrated length-aware score, weighed (measured %s)",
                    "0.941; unweighed by length 0.888, by mean surprisal below 0.7").isGreaterThan(0.9);
            assertThat(r.top1Cross()).as("with norms from the other half of the held-out files (measured %s)",
                    "0.782, unweighed 0.629: the other half of 17 short files is little to calibrate on").isGreaterThan(0.7);
            assertThat(r.heldOutPerplexity()).as("held-out perplexity of these documents (measured %s)", "5.04").isLessThan(6);
        }
    }

    @Test
    void amongLinesTheUnwrappedClauseIsUsuallyFirstWithPerTokenNorms() throws Exception {
        // wrapped prose: a one-word tail of a sentence is not a kind of line; per-token norms weigh a line's excess
        // surprisal by √tokens (by-length norms rank the tails first: 2.8% of the full run, against 72.1%)
        List<LegalCorpus.Document> docs = LegalCorpus.read(CORPUS).stream()
                .filter(d -> d.heldOut() && d.text().length() < 5_000).toList();
        Calibration c = Calibration.read(MODEL).orElseThrow();
        io.spikestream.engine.scoring.LengthNorms lines = c.norms(SegmentKind.LINE).orElseThrow();
        assertThat(lines.form()).isEqualTo(io.spikestream.engine.scoring.LengthNorms.Form.PER_TOKEN);
        try (Engine engine = Engine.load(MODEL, new EngineOptions(2))) {
            ClauseInsertion.Report r = ClauseInsertion.run(engine, docs, ClauseInsertion.UNUSUAL_CLAUSES, 5, 0, 1,
                    new ClauseInsertion.Ranking(SegmentKind.LINE, lines, c.background().surprisals()));
            System.out.printf("clause insertion subset, lines: top-1 %.3f (cross-calibrated %.3f; random %.3f), MRR %.3f%n", r.top1(), r.top1Cross(),
                    r.top1Random(), r.meanReciprocalRank());
            assertThat(r.top1()).as("by the per-token line score (measured %s)", "0.924; by-length norms put tails first").isGreaterThan(0.8);
        }
    }
}
