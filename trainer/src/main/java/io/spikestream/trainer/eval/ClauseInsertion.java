package io.spikestream.trainer.eval;

import io.spikestream.engine.Engine;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.trainer.corpus.LegalCorpus;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Is a document model useful for legal text? Insert a clause no licence has into a held-out document as a
 * paragraph of its own (one unwrapped line), score the document as {@code score-lines --segment paragraph} (or
 * {@code line}) does (line by line, as the model was trained; paragraphs are the lines between blank lines) and
 * see whether the inserted paragraph (or line) ranks first. Paragraphs are ranked by the calibration's length-aware score when one is given ({@link LengthNorms}),
 * else by mean surprisal; and, to see how much the calibration owes to the documents it is tested on, also by
 * norms fitted on the other half of the held-out documents alone (odd against even, in corpus order).
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

    /**
     * What is ranked, and how.
     *
     * @param segment    paragraphs (the clause is one), or lines (the clause, unwrapped, is one line)
     * @param norms      the norms of {@code segment} from the model's calibration, or null: by mean surprisal
     * @param background −ln p per token id of the calibration's background model, or null (needed by contextual norms)
     */
    public record Ranking(SegmentKind segment, LengthNorms norms, double[] background) {
        public static final Ranking MEAN = new Ranking(SegmentKind.PARAGRAPH, null, null);

        public Ranking {
            if (norms != null && norms.kind() != segment) {
                throw new IllegalArgumentException("ranking " + segment.label() + "s by " + norms.kind().label() + " norms");
            }
        }
    }

    /**
     * One insertion: where it went and how it ranked among the paragraphs it was compared with (1 = most
     * surprising); {@code crossRank} by norms fitted on the other half of the held-out documents (0 without norms).
     */
    public record Trial(String source, int clause, int position, int paragraphs, int rank, double insertedScore, double bestOtherScore,
                        int crossRank) {
    }

    /** All trials and the held-out perplexity of the unmodified documents (tokenized line by line). */
    public record Report(List<Trial> trials, int documents, long heldOutTokens, double heldOutNll) {
        public double top1() {
            return trials.stream().filter(t -> t.rank() == 1).count() / (double) trials.size();
        }

        /** Top-1 rate with norms fitted on the other half of the held-out documents (NaN without norms, or too little text for them). */
        public double top1Cross() {
            return trials.get(0).crossRank() == 0 ? Double.NaN : trials.stream().filter(t -> t.crossRank() == 1).count() / (double) trials.size();
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

    /** By mean surprisal, every paragraph a candidate: see {@link #run(Engine, List, List, int, int, long, Ranking)}. */
    public static Report run(Engine engine, List<LegalCorpus.Document> corpus, List<String> clauses, int minParagraphs, long seed) {
        return run(engine, corpus, clauses, minParagraphs, 0, seed, Ranking.MEAN);
    }

    /**
     * Every clause into every held-out document with at least {@code minParagraphs} paragraphs, each at a
     * position drawn from {@code seed} among the paragraph boundaries after the first paragraph, ranked against
     * the paragraphs of at least {@code minTokens} scored tokens.
     */
    public static Report run(Engine engine, List<LegalCorpus.Document> corpus, List<String> clauses, int minParagraphs, int minTokens,
            long seed, Ranking ranking) {
        List<LegalCorpus.Document> heldOut = corpus.stream().filter(LegalCorpus.Document::heldOut).toList();
        long tokens = 0;
        double nll = 0;
        List<List<SegmentScore>> normal = new ArrayList<>();
        for (LegalCorpus.Document doc : heldOut) {
            LineScorer.ScoredLines s = score(engine, doc.text(), ranking);
            for (LineScore l : s.lines()) {
                nll += l.sum();
                tokens += l.scored();
            }
            normal.add(s.segments(ranking.segment()));
        }
        LengthNorms[] cross = null; // cross[h]: fitted on the documents of the other parity than h; null when either half is too little
        if (ranking.norms() != null) {
            try {
                LengthNorms[] fitted = new LengthNorms[2];
                for (int h = 0; h < 2; h++) {
                    List<SegmentScore> other = new ArrayList<>();
                    for (int d = 1 - h; d < normal.size(); d += 2) {
                        other.addAll(normal.get(d));
                    }
                    fitted[h] = LengthNorms.fit(ranking.segment(), ranking.norms().statistic(), ranking.norms().form(), other);
                }
                cross = fitted;
            } catch (IllegalArgumentException tooLittle) {
                cross = null;
            }
        }
        List<Trial> trials = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        int documents = 0;
        for (int d = 0; d < heldOut.size(); d++) {
            LegalCorpus.Document doc = heldOut.get(d);
            List<String> paragraphs = doc.paragraphs();
            if (paragraphs.size() < minParagraphs) {
                continue;
            }
            documents++;
            for (int c = 0; c < clauses.size(); c++) {
                int at = 1 + random.nextInt(paragraphs.size()); // after paragraph at−1: never first, possibly last
                List<String> withClause = new ArrayList<>(paragraphs);
                withClause.add(at, clauses.get(c));
                long firstLine = 0;
                for (int p = 0; p < at; p++) {
                    firstLine += paragraphs.get(p).split("\n", -1).length + 1; // its lines and the blank line after it
                }
                List<SegmentScore> segments = score(engine, String.join("\n\n", withClause), ranking).segments(ranking.segment());
                SegmentScore inserted = null;
                for (SegmentScore g : segments) {
                    inserted = g.firstLine() == firstLine ? g : inserted;
                }
                if (inserted == null) {
                    throw new IllegalStateException("the inserted clause is not a " + ranking.segment().label() + " of its own at line "
                            + (firstLine + 1) + " of " + doc.source());
                }
                Rank r = rank(segments, inserted, minTokens, ranking.norms());
                Rank x = cross == null ? null : rank(segments, inserted, minTokens, cross[d % 2]);
                trials.add(new Trial(doc.source(), c, at, r.candidates, r.rank, r.inserted, r.bestOther, x == null ? 0 : x.rank));
            }
        }
        if (trials.isEmpty()) {
            throw new IllegalArgumentException("no held-out document has " + minParagraphs + " paragraphs or more");
        }
        return new Report(trials, documents, tokens, nll / tokens);
    }

    private record Rank(int rank, int candidates, double inserted, double bestOther) {
    }

    private static Rank rank(List<SegmentScore> segments, SegmentScore inserted, int minTokens, LengthNorms norms) {
        double mine = score(inserted, norms);
        int rank = 1;
        int candidates = 1;
        double bestOther = Double.NEGATIVE_INFINITY;
        for (SegmentScore g : segments) {
            if (g != inserted && g.isScored() && g.scored() >= minTokens) {
                double v = score(g, norms);
                candidates++;
                bestOther = Math.max(bestOther, v);
                rank += v >= mine ? 1 : 0;
            }
        }
        return new Rank(rank, candidates, mine, bestOther);
    }

    private static double score(SegmentScore g, LengthNorms norms) {
        return norms == null ? g.mean() : norms.score(g);
    }

    /** A document scored line by line from its start, with background sums when the ranking has a background model. */
    static LineScorer.ScoredLines score(Engine engine, String text, Ranking ranking) {
        return LineScorer.scoreAll(engine, engine.newDocument(), List.of(text.split("\n", -1)), ranking.background());
    }

    /** Each paragraph's mean surprisal when the paragraphs are read as one document (joined by blank lines), line by line. */
    public static double[] scores(Engine engine, List<String> paragraphs) {
        return score(engine, String.join("\n\n", paragraphs), Ranking.MEAN).segments(SegmentKind.PARAGRAPH).stream()
                .mapToDouble(SegmentScore::mean).toArray();
    }
}
