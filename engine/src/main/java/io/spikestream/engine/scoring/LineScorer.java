package io.spikestream.engine.scoring;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.Engine;
import io.spikestream.engine.TextChunkResult;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.tokenizer.Encoding;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores text line by line: every line is tokenized on its own, with its newline ({@code line + "\n"}), so a
 * line's tokens never reach into the next one and a record of lines is complete when it is read. This is how
 * {@code score-lines}, the calibration that {@code train} writes, and the job's plain-text input score lines,
 * so a threshold taken from one applies to the others.
 */
public final class LineScorer {
    /** Tokens per engine call when scoring many lines (the result does not depend on it). */
    public static final int BATCH_TOKENS = 1024;

    private LineScorer() {
    }

    /**
     * Lines of one piece of text, with the tokens they became.
     *
     * @param text   the text as scored: the input with a newline added when its last line had none
     * @param tokens the tokens with their ranges in {@code text}
     * @param lines  one score per line, in order
     */
    public record Scored(String text, TextChunkResult tokens, List<LineScore> lines) {
    }

    /**
     * Advances {@code doc} by the lines of {@code text} (split at {@code '\n'}; a {@code '\r'} before it is part
     * of the line; empty text has no lines), numbering them from {@code firstLine}.
     */
    public static Scored advance(Engine engine, DocumentState doc, String text, long firstLine) {
        Lines l = tokenize(engine, text);
        ChunkResult r = l.ids().length == 0
                ? new ChunkResult(doc.position(), new int[0], new double[0], doc.lastHidden().clone(), null)
                : engine.advance(doc, l.ids());
        return score(l, r, firstLine);
    }

    /**
     * The lines of {@code text} as they will be scored: the text with its final newline, each line tokenized on
     * its own (literal mode), the tokens' character ranges in that text.
     */
    public record Lines(String text, int[] ids, int[] charStart, int[] charEnd) {
    }

    public static Lines tokenize(Engine engine, String text) {
        Tokenizer tokenizer = engine.tokenizer().orElseThrow(() -> new IllegalStateException("scoring lines needs a model with a tokenizer"));
        return tokenize(tokenizer, text);
    }

    /** {@link #tokenize(Engine, String)} with a tokenizer alone. */
    public static Lines tokenize(Tokenizer tokenizer, String text) {
        String t = text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
        IntList ids = new IntList();
        IntList start = new IntList();
        IntList end = new IntList();
        for (int a = 0; a < t.length(); ) {
            int b = t.indexOf('\n', a) + 1;
            Encoding e = tokenizer.encodeWithOffsets(t.substring(a, b), TokenizerMode.LITERAL);
            for (int i = 0; i < e.size(); i++) {
                ids.add(e.ids()[i]);
                start.add(a + e.start()[i]);
                end.add(a + e.end()[i]);
            }
            a = b;
        }
        return new Lines(t, ids.toArray(), start.toArray(), end.toArray());
    }

    /**
     * The tokens {@code text} is scored with, line by line: what {@code train} learns from too, so that a blank
     * line's newline or a paragraph's last {@code ".\n"} is a token the model has seen (a whole-document
     * tokenization would merge them into {@code ".\n\n"}).
     */
    public static int[] encode(Tokenizer tokenizer, String text) {
        return tokenize(tokenizer, text).ids();
    }

    /** {@code text} cut after each newline (the last piece may lack one): the units {@link #encode} tokenizes. */
    public static List<String> units(String text) {
        List<String> out = new ArrayList<>();
        for (int a = 0; a < text.length(); ) {
            int b = text.indexOf('\n', a) + 1;
            b = b == 0 ? text.length() : b;
            out.add(text.substring(a, b));
            a = b;
        }
        return out;
    }

    /** {@code lines} scored from the engine's result for their tokens, numbered from {@code firstLine}. */
    public static Scored score(Lines lines, ChunkResult r, long firstLine) {
        TextChunkResult tokens = new TextChunkResult(r, lines.charStart(), lines.charEnd());
        return new Scored(lines.text(), tokens, LineTracker.track(OpenLine.start(firstLine), "", lines.text(), tokens, false).closed());
    }

    /** Scores every line of a log read as one document, in batches of about {@value #BATCH_TOKENS} tokens. */
    public static List<LineScore> scoreAll(Engine engine, DocumentState doc, List<String> lines) {
        return scoreAll(engine, doc, lines, null).lines();
    }

    /**
     * The lines of a text with, per line, its scored tokens' summed background surprisal (NaN when no background
     * was given): what segments and their length-aware scores are made from.
     */
    public record ScoredLines(List<LineScore> lines, double[] background, List<SpikePass> spikes) {
        /** Each line as a segment. */
        public List<SegmentScore> asSegments() {
            List<SegmentScore> out = new ArrayList<>(lines.size());
            for (int i = 0; i < lines.size(); i++) {
                out.add(SegmentScore.of(lines.get(i), background[i]));
            }
            return out;
        }

        /** The segments of {@code kind}: the lines, or their paragraphs. */
        public List<SegmentScore> segments(SegmentKind kind) {
            return Segments.of(kind, asSegments());
        }
    }

    /**
     * The spike statistics of one engine pass of a W8ASpike model over lines {@code firstLine}..{@code lastLine}
     * (the passes of {@link #scoreAll(Engine, DocumentState, List, double[])}; none for a float model).
     */
    public record SpikePass(long firstLine, long lastLine, SpikeStatistics statistics) {
    }

    /**
     * {@link #scoreAll(Engine, DocumentState, List)} with each line's summed background surprisal ({@code
     * background}: −ln p per token id, from {@link Background#surprisals()}; null: NaN sums).
     */
    public static ScoredLines scoreAll(Engine engine, DocumentState doc, List<String> lines, double[] background) {
        List<LineScore> out = new ArrayList<>(lines.size());
        double[] sums = new double[lines.size()];
        List<SpikePass> spikes = new ArrayList<>();
        StringBuilder batch = new StringBuilder();
        int first = 0;
        for (int i = 0; i < lines.size(); i++) {
            batch.append(lines.get(i)).append('\n');
            // ~4 chars per token in logs; the batch size only moves work between calls, never the result
            if (batch.length() >= 4 * BATCH_TOKENS || i == lines.size() - 1) {
                Scored scored = advance(engine, doc, batch.toString(), first);
                if (scored.tokens().result().spikes() != null) {
                    spikes.add(new SpikePass(first, i, scored.tokens().result().spikes()));
                }
                // a batch ends with a newline: its lines are all closed, none carried
                double[] b = background == null ? null : LineBackground.of(scored.lines(), scored.tokens().result(), 0, background).sums();
                for (int k = 0; k < scored.lines().size(); k++) {
                    sums[out.size()] = b == null ? Double.NaN : b[k];
                    out.add(scored.lines().get(k));
                }
                batch.setLength(0);
                first = i + 1;
            }
        }
        return new ScoredLines(out, sums, spikes);
    }

    /** A growable int array (no boxing on the per-token path). */
    private static final class IntList {
        int[] a = new int[64];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, 2 * size);
            }
            a[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
