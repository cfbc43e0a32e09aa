package io.spikestream.trainer.eval;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.Engine;
import io.spikestream.trainer.corpus.LegalCorpus;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Is a document model useful for legal text? Insert a clause no licence has into a held-out document, score
 * every paragraph by its mean surprisal (−ln p per token, in the document's context), and see whether the
 * inserted one ranks first. Paragraphs and their "\n\n" separators are tokenized one by one and concatenated,
 * so each token belongs to exactly one paragraph (or separator); the document's first token has no
 * prediction and is left out.
 */
public final class ClauseInsertion {
    /** Clauses in a licence's register about things no licence covers (the "unusual clause" of the test). */
    public static final List<String> UNUSUAL_CLAUSES = List.of(
            "Termination upon relocation. This licence terminates automatically if the Licensee moves its principal place of business"
                    + " to any island, and all copies of the Software must then be surrendered to the Licensor by carrier pigeon within"
                    + " fourteen days.",
            "Liability for livestock. The copyright holders accept unlimited liability for any damage the Software causes to cattle,"
                    + " sheep or goats, provided that the animals were grazing within sight of the computer on which it was installed.",
            "Payment in kind. In consideration of this licence, each Licensee shall deliver to the Author one wheel of aged cheese on"
                    + " the first Monday of every leap year, failing which all rights granted herein revert to the Author.",
            "Musical performance. Any person who redistributes the Program must first perform the national anthem of Liechtenstein on a"
                    + " tuba in the presence of two witnesses, and shall keep a notarized recording of that performance.",
            "Governing weather. This Agreement shall be governed by the weather in Reykjavik on the day of the dispute; if it is raining,"
                    + " the Licensor prevails, and if it is snowing, the parties shall settle the matter by a game of chess.",
            "Indemnity for dreams. You agree to indemnify the authors against any claim arising from dreams, nightmares or visions"
                    + " experienced by users within forty-eight hours of running the software.",
            "Assignment. The Licensee may not assign this licence to any party other than a lawful resident of the Moon, and any"
                    + " purported assignment to an entity based on Earth is void.",
            "Mandatory gardening. Modified versions may be distributed only by persons who have planted at least three oak trees in the"
                    + " calendar year of distribution and who can produce receipts for the acorns.",
            "Termination by hiccups. If the Licensee's chief executive officer suffers from hiccups for more than one hour during a board"
                    + " meeting, this licence and all sublicences granted under it terminate immediately and without notice.",
            "Limitation of liability for spilled coffee. Notwithstanding any other provision, the Licensor shall be liable for every cup"
                    + " of coffee spilled on a keyboard while reading this notice, up to a maximum of one thousand euros per cup.");

    /** One insertion: where it went and how it ranked among the paragraphs it was compared with (1 = most surprising). */
    public record Trial(String source, int clause, int position, int paragraphs, int rank, double insertedScore, double bestOtherScore) {
    }

    /** All trials and the held-out perplexity of the unmodified documents. */
    public record Report(List<Trial> trials, int documents, long heldOutTokens, double heldOutNll) {
        public double top1() {
            return trials.stream().filter(t -> t.rank() == 1).count() / (double) trials.size();
        }

        /** Top-1 rate of a random ranking: the mean of 1 / paragraphs. */
        public double top1Random() {
            return trials.stream().mapToDouble(t -> 1.0 / t.paragraphs()).average().orElse(Double.NaN);
        }

        public double meanReciprocalRank() {
            return trials.stream().mapToDouble(t -> 1.0 / t.rank()).average().orElse(Double.NaN);
        }

        public double heldOutPerplexity() {
            return Math.exp(heldOutNll);
        }
    }

    private ClauseInsertion() {
    }

    /**
     * Every clause into every held-out document with at least {@code minParagraphs} paragraphs, each at a
     * position drawn from {@code seed} among the paragraph boundaries after the first paragraph.
     */
    public static Report run(Engine engine, List<LegalCorpus.Document> corpus, List<String> clauses, int minParagraphs, long seed) {
        return run(engine, corpus, clauses, minParagraphs, 0, seed);
    }

    /**
     * As {@link #run(Engine, List, List, int, long)}, ranking the inserted clause only against paragraphs of at
     * least {@code minTokens} tokens: a heading of three tokens right after a paragraph break has a high mean
     * surprisal whatever it says, and a reader looking for an unusual clause would not rank it.
     */
    public static Report run(Engine engine, List<LegalCorpus.Document> corpus, List<String> clauses, int minParagraphs, int minTokens,
            long seed) {
        List<Trial> trials = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        int documents = 0;
        long tokens = 0;
        double nll = 0;
        for (LegalCorpus.Document doc : corpus) {
            if (!doc.heldOut()) {
                continue;
            }
            int[] whole = engine.encodeLiteral(doc.text());
            ChunkResult r = engine.advance(engine.newDocument(), whole);
            for (int i = 1; i < whole.length; i++) {
                nll += r.surprisal(i);
            }
            tokens += whole.length - 1;
            List<String> paragraphs = doc.paragraphs();
            if (paragraphs.size() < minParagraphs) {
                continue;
            }
            documents++;
            for (int c = 0; c < clauses.size(); c++) {
                int at = 1 + random.nextInt(paragraphs.size()); // after paragraph at−1: never first, possibly last
                List<String> withClause = new ArrayList<>(paragraphs);
                withClause.add(at, clauses.get(c));
                int[] lengths = new int[withClause.size()];
                double[] scores = scores(engine, withClause, lengths);
                int rank = 1;
                int candidates = 1;
                double bestOther = Double.NEGATIVE_INFINITY;
                for (int p = 0; p < scores.length; p++) {
                    if (p != at && lengths[p] >= minTokens) {
                        candidates++;
                        bestOther = Math.max(bestOther, scores[p]);
                        if (scores[p] >= scores[at]) {
                            rank++;
                        }
                    }
                }
                trials.add(new Trial(doc.source(), c, at, candidates, rank, scores[at], bestOther));
            }
        }
        if (trials.isEmpty()) {
            throw new IllegalArgumentException("no held-out document has " + minParagraphs + " paragraphs or more");
        }
        return new Report(trials, documents, tokens, nll / tokens);
    }

    /** Mean surprisal of each paragraph's tokens when the paragraphs are read as one document. */
    public static double[] scores(Engine engine, List<String> paragraphs) {
        return scores(engine, paragraphs, new int[paragraphs.size()]);
    }

    /** {@link #scores(Engine, List)}, with each paragraph's token count in {@code lengths}. */
    public static double[] scores(Engine engine, List<String> paragraphs, int[] lengths) {
        List<int[]> parts = new ArrayList<>();
        int[] separator = engine.encodeLiteral("\n\n");
        int total = 0;
        for (int p = 0; p < paragraphs.size(); p++) {
            if (p > 0) {
                parts.add(separator);
                total += separator.length;
            }
            int[] ids = engine.encodeLiteral(paragraphs.get(p));
            lengths[p] = ids.length;
            parts.add(ids);
            total += ids.length;
        }
        int[] all = new int[total];
        int[] start = new int[paragraphs.size()];
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (i % 2 == 0) {
                start[i / 2] = at;
            }
            System.arraycopy(parts.get(i), 0, all, at, parts.get(i).length);
            at += parts.get(i).length;
        }
        ChunkResult r = engine.advance(engine.newDocument(), all);
        double[] scores = new double[paragraphs.size()];
        for (int p = 0; p < paragraphs.size(); p++) {
            int from = Math.max(1, start[p]);
            int to = start[p] + parts.get(2 * p).length;
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += r.surprisal(i);
            }
            scores[p] = to > from ? sum / (to - from) : Double.NEGATIVE_INFINITY;
        }
        return scores;
    }
}
