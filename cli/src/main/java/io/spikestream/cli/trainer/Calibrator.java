package io.spikestream.cli.trainer;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.Background;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.trainer.corpus.LegalCorpus;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores normal text with a model, line by line as the job does, and writes the model's calibration.json: line
 * quantiles, length norms of lines and paragraphs, and the background token counts of the model's training text.
 */
final class Calibrator {
    private Calibrator() {
    }

    /**
     * @param documents  normal text, not trained on: documents of lines, each scored from a fresh state
     * @param background the text the model was trained on, for the token counts contextual surprisal subtracts
     *                   (the normal text itself when that is unknown)
     * @param lineForm   how the lines' length enters their score: per token for prose (wrapped lines), by length for logs
     */
    static Calibration calibrate(Path model, List<List<String>> documents, List<String> background, String source, LengthNorms.Form lineForm,
            Integer threads) throws IOException {
        Calibration c;
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            Tokenizer tokenizer = engine.tokenizer().orElseThrow(() -> new IllegalArgumentException(model + " has no tokenizer to calibrate with"));
            Background counts = Background.count(engine.model().config().vocabSize(), List.of(LineScorer.encode(tokenizer, String.join("", background))));
            double[] surprisals = counts.surprisals();
            List<List<SegmentScore>> scored = new ArrayList<>();
            for (List<String> lines : documents) {
                scored.add(LineScorer.scoreAll(engine, engine.newDocument(), lines, surprisals).asSegments());
            }
            c = Calibration.fit(scored, counts, source, lineForm);
        }
        c.write(model);
        return c;
    }

    /** The held-out files of a legal corpus, each its own document (a fresh state, as the job scores a document), as lines. */
    static List<List<String>> heldOutFiles(List<LegalCorpus.Document> corpus) {
        List<List<String>> docs = new ArrayList<>();
        for (LegalCorpus.Document d : corpus) {
            if (d.heldOut()) {
                List<String> lines = List.of(d.text().split("\n", -1));
                docs.add(d.text().endsWith("\n") ? lines.subList(0, lines.size() - 1) : lines);
            }
        }
        return docs;
    }

    /** The length norms in a line each, for progress output. */
    static String describe(Calibration c) {
        StringBuilder sb = new StringBuilder();
        for (LengthNorms n : c.norms().values()) {
            sb.append("\n  ").append(n);
        }
        return sb.toString();
    }
}
