package io.spikestream.cli.kafka;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LineSurprisal;
import io.spikestream.avro.SegmentSurprisal;
import io.spikestream.cli.report.HtmlReport;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import org.apache.avro.specific.SpecificRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The lines of one document as its enrichments ({@code CHUNK} and {@code RECORD}) report them, by line number, and
 * its paragraphs when the job scored them ({@code --segment paragraph}): what {@code consume --html} draws. A line
 * or paragraph reported twice (a replay is never in committed output, but a restarted document is) keeps its
 * latest report.
 */
final class DocumentLines {
    private final String docId;
    private final TreeMap<Long, LineSurprisal> lines = new TreeMap<>();
    /** By first line. */
    private final TreeMap<Long, SegmentSurprisal> paragraphs = new TreeMap<>();

    DocumentLines(String docId) {
        this.docId = docId;
    }

    void add(SpecificRecord r) {
        if (r instanceof Enrichment e && docId.equals(e.getDocId())) {
            for (LineSurprisal l : e.getLines() == null ? List.<LineSurprisal>of() : e.getLines()) {
                lines.put(l.getLine(), l);
            }
            for (SegmentSurprisal g : e.getSegments() == null ? List.<SegmentSurprisal>of() : e.getSegments()) {
                paragraphs.put(g.getFirstLine(), g);
            }
        }
    }

    int size() {
        return lines.size();
    }

    /** The page, with the threshold for what the topic holds: {@code thresholds} resolves it for lines or paragraphs. */
    String page(String topic, Function<SegmentKind, Optional<AlertThreshold>> thresholds) {
        if (!paragraphs.isEmpty()) {
            return paragraphPage(topic, thresholds.apply(SegmentKind.PARAGRAPH));
        }
        Optional<AlertThreshold> threshold = thresholds.apply(SegmentKind.LINE);
        List<HtmlReport.Line> rows = new ArrayList<>(lines.size());
        long expected = 0;
        int missing = 0;
        for (LineSurprisal l : lines.values()) {
            missing += (int) (l.getLine() - expected); // lines not in the topic (yet): not drawn, counted
            expected = l.getLine() + 1;
            Double mean = l.getMeanSurprisal();
            Double score = null;
            boolean alert = false;
            if (mean != null) {
                // every token of a document is scored but its first: the line's count, and its sum back from the mean
                int scored = (int) (l.getTokenEnd() - l.getTokenStart() - (l.getTokenStart() == 0 ? 1 : 0));
                SegmentScore s = new SegmentScore(SegmentKind.LINE, l.getLine(), l.getLine(), l.getTokenStart(), l.getTokenEnd(), scored,
                        mean * scored, Double.NaN, l.getMaxSurprisal(), l.getText());
                score = threshold.map(t -> t.score(s)).orElse(mean);
                alert = threshold.isPresent() && threshold.get().exceeded(s);
            }
            rows.add(new HtmlReport.Line(l.getLine(), l.getText(), score, mean, l.getMaxSurprisal(), alert));
        }
        return HtmlReport.render(docId, String.format(Locale.ROOT, "document %s of topic %s: %,d lines%s", docId, topic, rows.size(),
                missing == 0 ? "" : String.format(Locale.ROOT, " (%,d line numbers missing)", missing)), rows, threshold);
    }

    /**
     * Each line shaded by its paragraph's score (as reported: its length-aware score, else its mean surprisal), the
     * alert on the paragraph's first line; blank lines, in no paragraph, unshaded.
     */
    private String paragraphPage(String topic, Optional<AlertThreshold> threshold) {
        List<HtmlReport.Line> rows = new ArrayList<>(lines.size());
        for (LineSurprisal l : lines.values()) {
            var entry = paragraphs.floorEntry(l.getLine());
            SegmentSurprisal g = entry != null && entry.getValue().getLastLine() >= l.getLine() ? entry.getValue() : null;
            if (g == null || g.getMeanSurprisal() == null) {
                rows.add(new HtmlReport.Line(l.getLine(), l.getText(), null, null, null, false));
                continue;
            }
            boolean onScore = threshold.map(AlertThreshold::lengthAware).orElse(g.getScore() != null) && g.getScore() != null;
            double score = onScore ? g.getScore() : g.getMeanSurprisal();
            boolean alert = l.getLine() == g.getFirstLine() && threshold.isPresent() && score > threshold.get().value();
            rows.add(new HtmlReport.Line(l.getLine(), l.getText(), score, g.getMeanSurprisal(), g.getMaxSurprisal(), alert));
        }
        return HtmlReport.render(docId, String.format(Locale.ROOT, "document %s of topic %s: %,d lines in %,d paragraphs; shaded by paragraph",
                docId, topic, rows.size(), paragraphs.size()), rows, threshold);
    }
}
