package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.IncidentTracker;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.operator.input.Record;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's alerts are incidents: a document's consecutive alerting lines are one alert naming the first line
 * (and the record it came in), its last line, its count and its top line — the incidents of the lines scored
 * offline — whether the records come in one bundle or one by one, across a snapshot and restore taken
 * mid-incident, and with the last incident sent by its timer or by the end of the input.
 */
class IncidentAlertsTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static List<Record> records;
    static double threshold;
    static List<String> expected;

    /** Log-like lines, one per record, of two documents; half of the lines above the threshold, in runs. */
    @BeforeAll
    static void offline() throws Exception {
        records = new ArrayList<>();
        String[] texts = {"2026-11-01T00:00:00.000Z INFO  [auth-0] request ok", "WHEREAS the Licensor wishes to grant a licence",
            "java.lang.IllegalStateException: pool exhausted", "2026-11-01T00:00:01.000Z INFO  [auth-0] request ok",
            "Either Party may terminate upon notice", "2026-11-01T00:00:02.000Z INFO  [auth-0] request ok"};
        for (int i = 0; i < 40; i++) {
            String doc = i % 2 == 0 ? "auth" : "billing";
            records.add(new Record(doc, texts[(i * 7 + i / 3) % texts.length] + " #" + i, new RecordSource("lines", i % 2, i / 2, doc)));
        }
        List<Double> means = new ArrayList<>();
        List<List<LineScore>> docs = List.of(new ArrayList<>(), new ArrayList<>());
        try (Engine engine = Engine.load(TestModel.dir(), new EngineOptions(1))) {
            DocumentState[] states = {engine.newDocument(), engine.newDocument()};
            for (Record r : records) {
                int d = r.docId().equals("auth") ? 0 : 1;
                List<LineScore> lines = LineScorer.advance(engine, states[d], r.text(), docs.get(d).size()).lines();
                docs.get(d).addAll(lines);
                lines.stream().filter(LineScore::isScored).forEach(l -> means.add(l.mean()));
            }
        }
        means.sort(null);
        threshold = means.get(means.size() / 2);
        expected = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            IncidentTracker t = new IncidentTracker(new AlertThreshold(Double.toString(threshold), threshold), 0);
            List<IncidentTracker.Incident> incidents = new ArrayList<>();
            for (LineScore l : docs.get(d)) {
                t.add(l).ifPresent(incidents::add);
            }
            t.close().ifPresent(incidents::add);
            String doc = d == 0 ? "auth" : "billing";
            for (IncidentTracker.Incident i : incidents) {
                expected.add(doc + " " + i.firstLine() + "-" + i.lastLine() + " top " + i.top().line() + " x" + i.alerting() + " @" + (d) + ":" + i.firstLine());
            }
        }
        long multi = expected.stream().filter(e -> !e.contains(" x1 ")).count();
        assertThat(multi).as("some incidents span several lines").isPositive();
        assertThat(expected.size()).as("and there are several").isGreaterThan(3);
    }

    static String describe(Alert a) {
        return a.getDocId() + " " + a.getLine() + "-" + a.getLineEnd() + " top " + a.getTopLine() + " x" + a.getAlertingLines() + " @"
                + a.getPartition() + ":" + a.getOffset();
    }

    static OperatorHarness harness(Bundles bundles, OperatorSubtaskState restoreFrom) throws Exception {
        return OperatorHarness.records(OperatorHarness.options(), Double.toString(threshold), new Incidents(0, TIMEOUT), bundles, restoreFrom);
    }

    @Test
    void consecutiveAlertingLinesAreOneAlertInBundlesOrOneByOneAndTheEndOfInputSendsTheLast() throws Exception {
        for (Bundles bundles : List.of(Bundles.NONE, Bundles.DEFAULT)) {
            try (OperatorHarness h = harness(bundles, null)) {
                h.time(1000);
                for (Record r : records) {
                    h.record(r);
                }
                h.endInput();
                assertThat(h.alerts().stream().map(IncidentAlertsTest::describe).sorted().toList()).as(bundles.toString())
                        .isEqualTo(expected.stream().sorted().toList());
                assertThat(h.alerts()).allSatisfy(a -> {
                    assertThat(a.getScore()).isGreaterThan(threshold);
                    assertThat(a.getTopScore()).isGreaterThanOrEqualTo(a.getScore());
                });
            }
        }
    }

    @Test
    void anIncidentOpenAtASnapshotContinuesAfterTheRestore() throws Exception {
        List<String> reference;
        try (OperatorHarness h = harness(Bundles.NONE, null)) {
            h.time(1000);
            records.forEach(r -> record(h, r));
            h.endInput();
            reference = h.alerts().stream().map(IncidentAlertsTest::describe).toList();
        }
        // cut after each record in turn: some cuts fall inside an incident
        for (int cut = 1; cut < records.size(); cut += 3) {
            OperatorSubtaskState snapshot;
            List<String> before;
            try (OperatorHarness h = harness(Bundles.NONE, null)) {
                h.time(1000);
                records.subList(0, cut).forEach(r -> record(h, r));
                snapshot = h.snapshot(1);
                before = h.alerts().stream().map(IncidentAlertsTest::describe).toList();
            }
            try (OperatorHarness h = harness(Bundles.NONE, snapshot)) {
                h.time(1000);
                records.subList(cut, records.size()).forEach(r -> record(h, r));
                h.endInput();
                List<String> all = new ArrayList<>(before);
                h.alerts().forEach(a -> all.add(describe(a)));
                assertThat(all).as("cut after record " + cut).isEqualTo(reference);
            }
        }
    }

    @Test
    void aDocumentThatStaysQuietSendsItsOpenIncidentWhenItsTimerFires() throws Exception {
        String firstOfAuth = expected.stream().filter(e -> e.startsWith("auth ")).min(java.util.Comparator.comparingInt(
                e -> Integer.parseInt(e.split(" ")[1].split("-")[0]))).orElseThrow();
        int first = Integer.parseInt(firstOfAuth.split(" ")[1].split("-")[0]);
        List<Record> auth = records.stream().filter(r -> r.docId().equals("auth")).toList();
        try (OperatorHarness h = harness(Bundles.NONE, null)) {
            h.time(1000);
            for (int i = 0; i <= first; i++) {
                h.record(auth.get(i));
            }
            assertThat(h.alerts()).as("the incident is open: its end is not known yet").isEmpty();
            h.time(1000 + TIMEOUT.toMillis() - 1);
            assertThat(h.alerts()).isEmpty();
            h.time(1000 + TIMEOUT.toMillis());
            assertThat(h.alerts()).extracting(IncidentAlertsTest::describe)
                    .containsExactly("auth " + first + "-" + first + " top " + first + " x1 @0:" + first);
            // the document goes on: its next alerting lines are a new incident, not the one sent
            for (int i = first + 1; i < auth.size(); i++) {
                h.record(auth.get(i));
            }
            h.endInput();
            assertThat(h.alerts()).hasSizeGreaterThanOrEqualTo(1).first().extracting(IncidentAlertsTest::describe).asString().startsWith("auth " + first + "-");
        }
    }

    private static void record(OperatorHarness h, Record r) {
        try {
            h.record(r);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
