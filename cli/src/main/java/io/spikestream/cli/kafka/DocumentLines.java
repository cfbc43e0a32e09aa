package io.spikestream.cli.kafka;

import io.spikestream.avro.Enrichment;
import io.spikestream.avro.LineSurprisal;
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

/**
 * The lines of one document as its enrichments ({@code CHUNK} and {@code RECORD}) report them, by line number:
 * what {@code consume --html} draws. A line reported twice (a replay is never in committed output, but a
 * restarted document is) keeps its latest report.
 */
final class DocumentLines {
    private final String docId;
    private final TreeMap<Long, LineSurprisal> lines = new TreeMap<>();

    DocumentLines(String docId) {
        this.docId = docId;
    }

    void add(SpecificRecord r) {
        if (r instanceof Enrichment e && docId.equals(e.getDocId()) && e.getLines() != null) {
            for (LineSurprisal l : e.getLines()) {
                lines.put(l.getLine(), l);
            }
        }
    }

    int size() {
        return lines.size();
    }

    String page(String topic, Optional<AlertThreshold> threshold) {
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
}
