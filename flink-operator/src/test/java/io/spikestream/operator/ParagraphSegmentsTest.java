package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.SegmentSurprisal;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.Background;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.ParagraphTracker;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.scoring.Segments;
import io.spikestream.operator.input.Record;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --segment paragraph}: the operator reports each record's or chunk's completed paragraphs, scored as the
 * offline scorer scores the whole text (same tokens, sums, background sums and length-aware scores), alerts on
 * them one each, and gives the same paragraphs whether records come in bundles or one by one, across a snapshot
 * taken anywhere (an open paragraph and an open line are state), and for any cut of the text into chunks.
 */
class ParagraphSegmentsTest {
    /** Lines of a document: paragraphs of one to four lines between blank lines (some of spaces), and Markdown headings. */
    static List<String> lines;
    static Path model;
    static AlertThreshold threshold;
    /** The paragraphs scored offline, as "first-last tokens mean contextual score". */
    static List<String> expected;

    @BeforeAll
    static void offline() throws Exception {
        String[] texts = TestModel.CORPUS.strip().split("\n");
        lines = new ArrayList<>();
        for (int p = 0; p < 36; p++) {
            if (p % 9 == 4) {
                lines.add("## Section " + p);
            }
            for (int k = 0; k <= (p * 5) % 4; k++) {
                lines.add(texts[(p * 3 + k) % texts.length] + (k == 0 ? "" : " " + p));
            }
            lines.add(p % 5 == 0 ? "   " : " "); // a blank line of a text topic is a record of whitespace (an empty record is no line)
        }
        // the model with a calibration of its own: paragraph norms and a background from this text
        model = Files.createTempDirectory("paragraph-model");
        try (var files = Files.list(TestModel.dir())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        try (Engine engine = Engine.load(model, new EngineOptions(1))) {
            Background background = Background.count(engine.model().config().vocabSize(),
                    List.of(LineScorer.encode(engine.tokenizer().orElseThrow(), String.join("\n", lines) + "\n")));
            List<SegmentScore> scored = LineScorer.scoreAll(engine, engine.newDocument(), lines, background.surprisals()).asSegments();
            Calibration.fit(List.of(scored), background, "test").write(model);
            threshold = AlertThreshold.resolve("p50", model, SegmentKind.PARAGRAPH).orElseThrow();
            assertThat(threshold.lengthAware()).isTrue();
            expected = Segments.paragraphs(scored).stream().map(g -> describe(g.firstLine(), g.lastLine(), g.scored(), g.mean(),
                    g.contextualMean(), threshold.score(g))).toList();
        }
        assertThat(expected.size()).as("paragraphs and headings").isGreaterThan(36);
    }

    static String describe(long first, long last, int tokens, double mean, double contextual, double score) {
        return String.format(Locale.ROOT, "%d-%d %d %s %s %s", first, last, tokens, Double.toString(mean), Double.toString(contextual),
                Double.toString(score));
    }

    static List<String> segments(List<Enrichment> out) {
        List<String> all = new ArrayList<>();
        for (Enrichment e : out) {
            if (e.getSegments() != null) {
                for (SegmentSurprisal g : e.getSegments()) {
                    assertThat(g.getKind()).isEqualTo("paragraph");
                    all.add(describe(g.getFirstLine(), g.getLastLine(), g.getTokens(), g.getMeanSurprisal(), g.getContextualSurprisal(), g.getScore()));
                }
            }
        }
        return all;
    }

    static List<Record> records() {
        List<Record> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            out.add(new Record("doc", lines.get(i), new RecordSource("lines", 0, i, "doc")));
        }
        return out;
    }

    /** The last output: an END record without a seq, {@code reason} in its error, holding exactly {@code paragraph}. */
    static Enrichment endWithout(OperatorHarness h, String reason, String paragraph) {
        Enrichment last = h.output().get(h.output().size() - 1);
        assertThat(last.getKind()).isEqualTo(io.spikestream.avro.EnrichmentKind.END);
        assertThat(last.getSeq()).isNull();
        assertThat(last.getError()).contains(reason);
        assertThat(segments(List.of(last))).as("the open paragraph, the held-back text read into it").containsExactly(paragraph);
        return last;
    }

    OperatorHarness harness(Bundles bundles, OperatorSubtaskState restoreFrom) throws Exception {
        return OperatorHarness.records(OperatorHarness.options(model), "p50", SegmentKind.PARAGRAPH, bundles, restoreFrom);
    }

    @Test
    void recordsGiveTheOfflineParagraphsAndAnAlertForEachParagraphAboveTheThreshold() throws Exception {
        for (Bundles bundles : List.of(Bundles.NONE, Bundles.DEFAULT)) {
            try (OperatorHarness h = harness(bundles, null)) {
                h.time(1000);
                for (Record r : records()) {
                    h.record(r);
                }
                // an empty record is no line, but it ends the open paragraph: every offline paragraph is reported once, in order
                h.record(new Record("doc", "", new RecordSource("lines", 0, lines.size(), "doc")));
                h.endInput();
                assertThat(segments(h.output())).as(bundles.toString()).isEqualTo(expected);
                List<String> alerted = new ArrayList<>();
                for (String g : expected) {
                    if (Double.parseDouble(g.split(" ")[4]) > threshold.value()) {
                        alerted.add(g.split(" ")[0]);
                    }
                }
                assertThat(alerted).as("p50 of the paragraph scores: about half").hasSizeBetween(expected.size() / 4, expected.size() * 3 / 4);
                List<Alert> alerts = h.alerts();
                assertThat(alerts).extracting(a -> a.getLine() + "-" + a.getLineEnd()).isEqualTo(alerted);
                assertThat(alerts).allSatisfy(a -> {
                    assertThat(a.getSegment()).isEqualTo("paragraph");
                    assertThat(a.getScore()).isGreaterThan(a.getThreshold());
                    assertThat(a.getThreshold()).isEqualTo(threshold.value());
                    assertThat(a.getThresholdName()).isEqualTo("p50");
                    assertThat(a.getText()).startsWith(lines.get((int) (long) a.getLine()));
                    assertThat(a.getOffset()).as("the record that completed it").isGreaterThan(a.getLineEnd());
                });
            }
        }
    }

    @Test
    void anOpenParagraphAtASnapshotContinuesAfterTheRestore() throws Exception {
        List<Record> records = records();
        records.add(new Record("doc", " ", new RecordSource("lines", 0, lines.size(), "doc")));
        for (int cut = 1; cut < records.size(); cut += 7) {
            OperatorSubtaskState snapshot;
            List<String> all;
            List<Long> alerted = new ArrayList<>();
            try (OperatorHarness h = harness(Bundles.NONE, null)) {
                h.time(1000);
                for (Record r : records.subList(0, cut)) {
                    h.record(r);
                }
                snapshot = h.snapshot(1);
                all = new ArrayList<>(segments(h.output()));
                h.alerts().forEach(a -> alerted.add(a.getLine()));
            }
            try (OperatorHarness h = harness(Bundles.NONE, snapshot)) {
                h.time(1000);
                for (Record r : records.subList(cut, records.size())) {
                    h.record(r);
                }
                h.endInput();
                all.addAll(segments(h.output()));
                h.alerts().forEach(a -> alerted.add(a.getLine()));
            }
            assertThat(all).as("cut after record " + cut).isEqualTo(expected);
            assertThat(alerted).as("cut after record " + cut).hasSize((int) expected.stream()
                    .filter(g -> Double.parseDouble(g.split(" ")[4]) > threshold.value()).count());
        }
    }

    @Test
    void chunksGiveTheSameParagraphsForAnyCutAndTheLastChunkEndsTheLastOne() throws Exception {
        String text = String.join("\n", lines.subList(0, lines.size() - 1)); // no final newline: the last chunk ends the paragraph
        List<String> reference = null;
        for (int[] sizes : new int[][] {{text.length()}, {7}, {100, 3}, {1}}) {
            try (OperatorHarness h = OperatorHarness.chunks(OperatorHarness.options(model), "p50", SegmentKind.PARAGRAPH, (OperatorSubtaskState) null)) {
                for (var c : OperatorHarness.chunks("doc", text, sizes)) {
                    h.chunk(c);
                }
                h.endInput();
                List<String> got = segments(h.output());
                List<String> bounds = got.stream().map(g -> g.split(" ")[0]).toList();
                assertThat(bounds).as("chunks of " + sizes[0]).isEqualTo(expected.stream().map(g -> g.split(" ")[0]).toList());
                if (reference == null) {
                    reference = got;
                } else {
                    assertThat(got).as("chunks of " + java.util.Arrays.toString(sizes) + ": the same bits").isEqualTo(reference);
                }
            }
        }
    }

    /**
     * A document whose last blank line never comes: its open paragraph goes out in an END record without a seq
     * (the reason in its error) when the bounded input ends or the document expires — scored and alerted like the
     * others, so every paragraph of the text is reported once.
     */
    @Test
    void aParagraphLeftOpenIsReportedWhenTheInputEndsOrTheDocumentExpires() throws Exception {
        List<Record> records = records().subList(0, lines.size() - 1);
        assertThat(lines.get(lines.size() - 1)).isBlank();
        List<String> alertedLines = expected.stream().filter(g -> Double.parseDouble(g.split(" ")[4]) > threshold.value())
                .map(g -> g.split(" ")[0]).toList();
        String lastParagraph = expected.get(expected.size() - 1);
        OperatorOptions expiring = OperatorHarness.options(model).withLifetimes(java.time.Duration.ofMinutes(1), java.time.Duration.ZERO);
        for (String end : List.of("input ended", "expired")) {
            try (OperatorHarness h = OperatorHarness.records(end.equals("expired") ? expiring : OperatorHarness.options(model), "p50",
                    SegmentKind.PARAGRAPH, end.equals("expired") ? Bundles.NONE : Bundles.DEFAULT, null)) {
                h.time(1000);
                for (Record r : records) {
                    h.record(r);
                }
                if (end.equals("expired")) {
                    h.time(2000);
                    assertThat(segments(h.output())).as("before the end").isEqualTo(expected.subList(0, expected.size() - 1));
                    h.time(1000 + java.time.Duration.ofMinutes(2).toMillis());
                } else {
                    h.endInput();
                }
                assertThat(segments(h.output())).as(end).isEqualTo(expected);
                endWithout(h, end, lastParagraph);
                assertThat(h.alerts()).extracting(a -> a.getLine() + "-" + a.getLineEnd()).as(end).isEqualTo(alertedLines);
            }
        }
    }

    /**
     * A chunked document rejected mid-paragraph (a seq that never arrives), or whose bounded input ends without its
     * last chunk: the paragraph open at its last applied chunk goes out in the END record, with every line it had —
     * the text the streaming tokenizer held back included, scored as offline over the text up to there — and the
     * reason in its error; the chunks after the gap are rejected, not scored.
     */
    @Test
    void aParagraphLeftOpenByARejectedDocumentIsReportedWithTheReason() throws Exception {
        int k = lines.size() / 2; // a line whose paragraph goes on after it
        while (lines.get(k).isBlank() || ParagraphTracker.isHeading(lines.get(k)) || lines.get(k + 1).isBlank()
                || ParagraphTracker.isHeading(lines.get(k + 1))) {
            k++;
        }
        List<String> before;
        long tokens;
        try (Engine engine = Engine.load(model, new EngineOptions(1))) {
            double[] background = Calibration.read(model).orElseThrow().background().surprisals();
            List<SegmentScore> scored = LineScorer.scoreAll(engine, engine.newDocument(), lines.subList(0, k + 1), background).asSegments();
            tokens = scored.get(scored.size() - 1).tokenEnd();
            before = Segments.paragraphs(scored).stream().map(g -> describe(g.firstLine(), g.lastLine(), g.scored(), g.mean(),
                    g.contextualMean(), threshold.score(g))).toList();
        }
        String open = before.get(before.size() - 1);
        assertThat(open.split(" ")[0]).as("the open paragraph ends at the cut").endsWith("-" + k);
        assertThat(expected).as("the paragraphs closed before the cut").startsWith(before.subList(0, before.size() - 1).toArray(String[]::new));
        assertThat(expected).doesNotContain(open);

        OperatorOptions o = OperatorHarness.options(model).withBuffering(8, 1 << 20, java.time.Duration.ofSeconds(30));
        for (String end : List.of("rejected", "input ended")) {
            try (OperatorHarness h = OperatorHarness.chunks(o, "p50", SegmentKind.PARAGRAPH, Bundles.NONE)) {
                h.time(1_000);
                h.chunk(OperatorHarness.chunk("doc", 0, String.join("\n", lines.subList(0, k + 1)) + "\n", false));
                if (end.equals("rejected")) {
                    h.chunk(OperatorHarness.chunk("doc", 2, String.join("\n", lines.subList(k + 1, lines.size())), true)); // seq 1 never comes
                    assertThat(segments(h.output())).as("before the gap times out").isEqualTo(before.subList(0, before.size() - 1));
                    h.time(31_001);
                    assertThat(h.rejected()).extracting(r -> r.getReason()).anyMatch(r -> r.contains("seq 1 did not arrive within PT30S"));
                } else {
                    h.endInput();
                }
                assertThat(segments(h.output())).as(end).isEqualTo(before);
                Enrichment last = endWithout(h, end.equals("rejected") ? "rejected: seq 1 did not arrive" : "input ended", open);
                assertThat(last.getTokenEnd()).as("its tokens counted").isEqualTo(tokens);
            }
        }
    }
}
