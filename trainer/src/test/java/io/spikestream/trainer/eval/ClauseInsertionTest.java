package io.spikestream.trainer.eval;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
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
    void scoresAreMeanSurprisalsOfEachParagraphsOwnTokens() throws Exception {
        try (Engine engine = Engine.load(MODEL, new EngineOptions(2))) {
            List<String> paragraphs = List.of("This program is free software; you can redistribute it.", "Files: *\nCopyright: 2020 Someone");
            double[] scores = ClauseInsertion.scores(engine, paragraphs);
            int[] all = engine.encodeLiteral(paragraphs.get(0));
            int[] sep = engine.encodeLiteral("\n\n");
            int[] second = engine.encodeLiteral(paragraphs.get(1));
            int[] ids = new int[all.length + sep.length + second.length];
            System.arraycopy(all, 0, ids, 0, all.length);
            System.arraycopy(sep, 0, ids, all.length, sep.length);
            System.arraycopy(second, 0, ids, all.length + sep.length, second.length);
            var r = engine.advance(engine.newDocument(), ids);
            double first = 0;
            for (int i = 1; i < all.length; i++) {
                first += r.surprisal(i);
            }
            double last = 0;
            for (int i = all.length + sep.length; i < ids.length; i++) {
                last += r.surprisal(i);
            }
            assertThat(scores[0]).isEqualTo(first / (all.length - 1));
            assertThat(scores[1]).isEqualTo(last / second.length);
        }
    }

    @Test
    void theInsertedClauseIsUsuallyTheMostSurprisingParagraphOfAHeldOutText() throws Exception {
        // a quick subset for CI: held-out documents under 5,000 characters (the full run is `clause-test`: 39 documents, 50.0%)
        List<LegalCorpus.Document> docs = LegalCorpus.read(CORPUS).stream()
                .filter(d -> d.heldOut() && d.text().length() < 5_000).toList();
        try (Engine engine = Engine.load(MODEL, new EngineOptions(2))) {
            ClauseInsertion.Report r = ClauseInsertion.run(engine, docs, ClauseInsertion.UNUSUAL_CLAUSES, 5, 1);
            System.out.printf("clause insertion subset: %d trials in %d documents, top-1 %.3f (random %.3f), MRR %.3f, perplexity %.2f%n",
                    r.trials().size(), r.documents(), r.top1(), r.top1Random(), r.meanReciprocalRank(), r.heldOutPerplexity());
            assertThat(r.documents()).isGreaterThanOrEqualTo(10);
            assertThat(r.top1()).as("top-1 rate; a random ranking gets %.3f", r.top1Random()).isGreaterThan(3 * r.top1Random()).isGreaterThan(0.3);
            assertThat(r.heldOutPerplexity()).as("held-out perplexity of these documents (measured 4.98)").isLessThan(8);
        }
    }
}
