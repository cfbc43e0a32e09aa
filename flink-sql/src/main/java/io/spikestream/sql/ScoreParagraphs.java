package io.spikestream.sql;

import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.LineBackground;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.OpenParagraph;
import io.spikestream.engine.scoring.ParagraphTracker;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.types.Row;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code score_paragraphs}: {@code score_lines} by paragraph. Per {@code PARTITION BY} key the rows are one
 * document, scored line by line exactly as {@code score_lines} does; a paragraph is the lines between blank lines
 * (a Markdown heading is one of its own), and one row comes out per paragraph once it ends: at a blank line, a
 * heading, or an empty text ({@code ''}: a row that marks the end of the document's paragraph so far). A
 * paragraph may run over several rows; the one still open is kept in the function's state, so the rows out do not
 * depend on how the text was cut into rows. With {@code on_time => DESCRIPTOR(ts)} (a time attribute with
 * watermarks) a key's open paragraph also ends when the input does: the final watermark of a bounded input fires
 * a timer set at the end of time (the output then ends with Flink's {@code rowtime} column).
 *
 * <pre>{@code
 * SELECT * FROM score_paragraphs(input => TABLE contracts PARTITION BY doc, text_column => 'text',
 *                                model => '/models/demo-legal', alert_threshold => 'p99.9')
 * }</pre>
 *
 * {@code score} is the paragraph's length-aware score under the model's calibration ({@code paragraph_norms};
 * NULL without them), {@code contextual_surprisal} its mean surprisal minus the calibration's background model's
 * (NULL without one). A {@code pNN} threshold is that quantile of the calibration's paragraph scores and
 * {@code alert = score > threshold}; a number is nats per token and {@code alert = mean_surprisal > threshold}.
 */
@DataTypeHint("ROW<line BIGINT, line_end BIGINT, paragraph_text STRING, tokens INT, mean_surprisal DOUBLE, contextual_surprisal DOUBLE,"
        + " score DOUBLE, max_surprisal DOUBLE, alert BOOLEAN, threshold DOUBLE>")
public class ScoreParagraphs extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;

    /** Per document: {@link ScoreLines.Progress}'s fields, and the paragraph still open ({@code open} false: none). */
    public static class Progress extends ScoreLines.Progress {
        public boolean open;
        public long firstLine;
        public long lastLine;
        public long tokenStart;
        public long tokenEnd;
        public int scored;
        public double sum;
        public double background;
        public double max;
        public String text;
        /** The call's model and threshold, for the end-of-input timer (it gets no arguments). */
        public String model;
        public String alertThreshold;

        @Override
        void forget() {
            super.forget();
            keep(null);
        }

        OpenParagraph paragraph() {
            return open ? new OpenParagraph(firstLine, lastLine, tokenStart, tokenEnd, scored, sum, background, max, text) : null;
        }

        void keep(OpenParagraph p) {
            open = p != null;
            firstLine = open ? p.firstLine() : 0;
            lastLine = open ? p.lastLine() : 0;
            tokenStart = open ? p.tokenStart() : 0;
            tokenEnd = open ? p.tokenEnd() : 0;
            scored = open ? p.scored() : 0;
            sum = open ? p.sum() : 0;
            background = open ? p.background() : 0;
            max = open ? p.max() : 0;
            text = open ? p.text() : null;
        }
    }

    /** The timer of a key whose paragraph is open, at the end of time: only the end of a bounded input reaches it. */
    static final String END_OF_INPUT = "end-of-input";

    private transient KeyedDocuments documents;
    private transient Setup setup;

    /** What a call's model brings: the background's −ln p per token (null: none), the paragraph norms (null: none), the threshold (null: no alerts). */
    private record Setup(double[] background, LengthNorms norms, AlertThreshold threshold) {
    }

    @Override
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        return ScoreLines.inference(typeFactory, getClass(), "score_paragraphs");
    }

    public void eval(Context ctx,
                     @StateHint Progress progress,
                     @StateHint MapView<Integer, byte[]> engineState,
                     @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                     @ArgumentHint(name = "text_column") String textColumn,
                     @ArgumentHint(name = "model") String model,
                     @ArgumentHint(name = "alert_threshold", isOptional = true) String alertThreshold,
                     @ArgumentHint(name = "state_ttl", isOptional = true) String stateTtl) throws Exception {
        if (documents == null) {
            documents = new KeyedDocuments("score_paragraphs");
        }
        LineScorer.Scored scored = documents.advance(ctx, input, textColumn, model, stateTtl, progress, engineState, () -> {
            if (setup == null) {
                setup = setup(Path.of(model), alertThreshold);
            }
        });
        if (scored == null) {
            return;
        }
        double[] sums = new double[scored.lines().size()];
        if (setup.background() != null) {
            // a row is whole lines: no line is open before or after it
            sums = LineBackground.of(scored.lines(), scored.tokens().result(), 0, setup.background()).sums();
        } else {
            Arrays.fill(sums, Double.NaN);
        }
        List<SegmentScore> lines = new ArrayList<>(sums.length);
        for (int i = 0; i < sums.length; i++) {
            lines.add(SegmentScore.of(scored.lines().get(i), sums[i]));
        }
        ParagraphTracker.Step step = ParagraphTracker.add(progress.paragraph(), lines);
        List<SegmentScore> closed = new ArrayList<>(step.closed());
        if (scored.text().isEmpty()) { // an empty text: the end of the document's paragraph so far
            closed.addAll(ParagraphTracker.close(step.open()));
            progress.keep(null);
        } else {
            progress.keep(step.open());
        }
        for (SegmentScore g : closed) {
            collect(row(g, setup));
        }
        // with on_time (a time attribute with watermarks), the final watermark of a bounded input fires this timer
        TimeContext<Long> time = ctx.timeContext(Long.class);
        if (time.time() != null) {
            progress.model = model;
            progress.alertThreshold = alertThreshold;
            if (progress.open) {
                time.registerOnTime(END_OF_INPUT, Long.MAX_VALUE);
            } else {
                time.clearTimer(END_OF_INPUT);
            }
        }
    }

    /** The input ended (its watermark reached the end of time): the paragraph still open is complete. */
    public void onTimer(OnTimerContext ctx, @StateHint Progress progress, @StateHint MapView<Integer, byte[]> engineState) {
        OpenParagraph open = progress.paragraph();
        if (open == null || progress.model == null) {
            return;
        }
        if (setup == null) {
            setup = setup(Path.of(progress.model), progress.alertThreshold);
        }
        for (SegmentScore g : ParagraphTracker.close(open)) {
            collect(row(g, setup));
        }
        progress.keep(null);
    }

    private static Row row(SegmentScore g, Setup s) {
        boolean scored = g.isScored();
        double contextual = g.contextualMean();
        double score = s.norms() == null ? Double.NaN : s.norms().score(g);
        return Row.of(g.firstLine(), g.lastLine(), g.text(), (int) (g.tokenEnd() - g.tokenStart()), scored ? g.mean() : null,
                Double.isFinite(contextual) ? contextual : null, Double.isFinite(score) ? score : null, scored ? g.max() : null,
                s.threshold() != null && s.threshold().exceeded(g), s.threshold() == null ? null : s.threshold().value());
    }

    private static Setup setup(Path dir, String alertThreshold) {
        Optional<Calibration> c = Calibration.read(dir);
        LengthNorms norms = c.flatMap(k -> k.norms(SegmentKind.PARAGRAPH)).orElse(null);
        // no threshold asked and nothing to take p99.9 from (a model calibrated on logs has no paragraphs): no alerts
        AlertThreshold threshold = alertThreshold == null && norms == null ? null
                : AlertThreshold.resolve(alertThreshold, dir, SegmentKind.PARAGRAPH).orElse(null);
        return new Setup(c.map(Calibration::background).map(b -> b.surprisals()).orElse(null), norms, threshold);
    }

    @Override
    public void close() {
        if (documents != null) {
            documents.close();
        }
    }
}
