package io.spikestream.sql;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * score_paragraphs on a MiniCluster: two documents cut into rows at arbitrary lines (a paragraph running over
 * rows, headings, runs of blank lines, an empty row closing the last paragraph) give the paragraphs of each whole
 * document scored offline at once, number for number.
 */
class ScoreParagraphsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final Path MODEL = Path.of("../models/demo-legal").toAbsolutePath().normalize();

    /** Two documents' texts. */
    static Map<String, String> documents() {
        Map<String, String> docs = new LinkedHashMap<>();
        docs.put("nda", String.join("\n",
                "# Mutual Non-Disclosure Agreement",
                "",
                "1. Definitions. \"Confidential Information\" means any information disclosed",
                "by one party to the other, whether orally or in writing, that is designated",
                "as confidential.",
                "",
                "",
                "2. Obligations. The receiving party shall hold the Confidential Information",
                "in strict confidence and shall not disclose it to any third party.",
                "## Term",
                "This Agreement remains in force for three years from the Effective Date.",
                "   ",
                "3. Payment in kind. Each party shall deliver one wheel of aged cheese to the",
                "other on the first Monday of every leap year."));
        docs.put("licence", String.join("\n",
                "Permission is hereby granted, free of charge, to any person obtaining a copy",
                "of this software, to deal in the Software without restriction.",
                "",
                "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR",
                "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY.",
                "",
                "The above copyright notice shall be included in all copies."));
        return docs;
    }

    /** The documents cut into rows of 1, 2, 3, … lines (a paragraph runs over rows), interleaved, then an empty row each. */
    static List<String[]> rows() {
        Map<String, List<String>> cut = new LinkedHashMap<>();
        documents().forEach((key, text) -> {
            String[] lines = text.split("\n", -1);
            List<String> rows = new ArrayList<>();
            for (int i = 0, n = 1; i < lines.length; i += n, n++) {
                // each line ends with its newline: "x\n\n" is the line x and a blank line
                rows.add(String.join("\n", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + n))) + "\n");
            }
            rows.add(""); // the end of the document: its last paragraph is complete
            cut.put(key, rows);
        });
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; cut.values().stream().anyMatch(r -> r.size() > 0); i++) {
            for (Map.Entry<String, List<String>> e : cut.entrySet()) {
                if (!e.getValue().isEmpty()) {
                    rows.add(new String[] {e.getKey(), e.getValue().remove(0)});
                }
            }
        }
        return rows;
    }

    static TableEnvironment tables() {
        return tables(ScoreParagraphs.class, false);
    }

    /** With {@code failing}: checkpoints every 100 ms (unaligned: the source emits every row at once) and restarts. */
    static TableEnvironment tables(Class<? extends ScoreParagraphs> function, boolean failing) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        if (failing) {
            env.enableCheckpointing(100);
            env.getCheckpointConfig().enableUnalignedCheckpoints();
            env.configure(org.apache.flink.configuration.Configuration.fromMap(Map.of("restart-strategy.type", "fixed-delay",
                    "restart-strategy.fixed-delay.attempts", "2", "restart-strategy.fixed-delay.delay", "100ms")));
        }
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("score_paragraphs", function);
        DataStream<Row> docs = env.fromData(rows().stream().map(r -> Row.of(r[0], r[1])).toList(),
                Types.ROW_NAMED(new String[] {"doc", "text"}, Types.STRING, Types.STRING)).setParallelism(1);
        t.createTemporaryView("docs", docs);
        return t;
    }

    /** score_paragraphs that fails once, at its 7th row, after checkpoints have completed (rows 100 ms apart). */
    public static class FailingOnce extends ScoreParagraphs {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.AtomicInteger ROWS = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.atomic.AtomicBoolean FAILED = new java.util.concurrent.atomic.AtomicBoolean();

        @Override
        public void eval(Context ctx, @StateHint Progress progress, @StateHint MapView<Integer, byte[]> engineState,
                         @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                         @ArgumentHint(name = "text_column") String textColumn,
                         @ArgumentHint(name = "model") String model,
                         @ArgumentHint(name = "alert_threshold", isOptional = true) String alertThreshold,
                         @ArgumentHint(name = "state_ttl", isOptional = true) String stateTtl) throws Exception {
            Thread.sleep(100);
            if (ROWS.incrementAndGet() == 7 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure at the 7th row");
            }
            super.eval(ctx, progress, engineState, input, textColumn, model, alertThreshold, stateTtl);
        }
    }

    @Test
    void aFailureMidDocumentRestoresTheOpenParagraphFromTheCheckpoint() throws Exception {
        Map<String, List<Row>> clean = collect(tables());
        Map<String, List<Row>> recovered = collect(tables(FailingOnce.class, true));
        assertThat(FailingOnce.FAILED).as("the failure was injected").isTrue();
        assertThat(FailingOnce.ROWS.get()).as("rows over both attempts: not all of them again").isLessThan(6 + rows().size());
        assertThat(recovered).isEqualTo(clean);
    }

    static Map<String, List<Row>> collect(TableEnvironment t) throws Exception {
        Map<String, List<Row>> got = new LinkedHashMap<>();
        try (CloseableIterator<Row> it = t.executeSql("SELECT * FROM score_paragraphs(input => TABLE docs PARTITION BY doc, "
                + "text_column => 'text', model => '" + MODEL + "')").collect()) {
            it.forEachRemaining(r -> got.computeIfAbsent((String) r.getField(0), k -> new ArrayList<>()).add(r));
        }
        return got;
    }

    /** Each document's paragraphs scored offline, the whole text in one pass, line by line. */
    static Map<String, List<SegmentScore>> offline() {
        double[] background = Calibration.read(MODEL).orElseThrow().background().surprisals();
        Map<String, List<SegmentScore>> offline = new LinkedHashMap<>();
        try (Engine engine = Engine.load(MODEL, new EngineOptions(1))) {
            documents().forEach((key, text) -> offline.put(key, LineScorer.scoreAll(engine, engine.newDocument(), List.of(text.split("\n", -1)),
                    background).segments(SegmentKind.PARAGRAPH)));
        }
        return offline;
    }

    @Test
    void everyParagraphOfEveryDocumentIsScoredAsTheWholeDocumentIsOffline() throws Exception {
        LengthNorms norms = Calibration.read(MODEL).orElseThrow().norms(SegmentKind.PARAGRAPH).orElseThrow();
        Map<String, List<SegmentScore>> offline = offline();
        Map<String, List<Row>> got = new LinkedHashMap<>();
        // a pNN threshold is the quantile of the calibration's paragraph scores: p50, so that some alert and some do not
        String p = "p50";
        try (CloseableIterator<Row> it = tables().executeSql("SELECT * FROM score_paragraphs(input => TABLE docs PARTITION BY doc, "
                + "text_column => 'text', model => '" + MODEL + "', alert_threshold => '" + p + "')").collect()) {
            it.forEachRemaining(r -> got.computeIfAbsent((String) r.getField(0), k -> new ArrayList<>()).add(r));
        }
        AlertThreshold p50 = AlertThreshold.resolve(p, MODEL, SegmentKind.PARAGRAPH).orElseThrow();
        assertThat(p50.norms()).isEqualTo(norms);
        assertThat(got.keySet()).containsExactlyInAnyOrder("nda", "licence");
        for (Map.Entry<String, List<SegmentScore>> e : offline.entrySet()) {
            List<Row> expected = new ArrayList<>();
            for (SegmentScore g : e.getValue()) {
                expected.add(Row.of(e.getKey(), g.firstLine(), g.lastLine(), g.text(), (int) (g.tokenEnd() - g.tokenStart()), g.mean(),
                        g.contextualMean(), norms.score(g), g.max(), norms.score(g) > p50.value(), p50.value()));
            }
            assertThat(got.get(e.getKey())).as(e.getKey()).containsExactlyElementsOf(expected);
        }
        // the NDA: a heading, definitions, obligations, a heading, the term, the cheese; the licence: three paragraphs
        assertThat(got.get("nda")).extracting(r -> r.getField(1)).containsExactly(0L, 2L, 7L, 9L, 10L, 12L);
        assertThat(got.get("nda")).extracting(r -> r.getField(2)).containsExactly(0L, 4L, 8L, 9L, 10L, 13L);
        assertThat(got.get("licence")).hasSize(3);
        long alerts = got.values().stream().flatMap(List::stream).filter(r -> (Boolean) r.getField(9)).count();
        assertThat(alerts).as("some paragraphs above the calibration's median, some not").isBetween(1L, 8L);
    }

    /**
     * With a time attribute ({@code on_time}), no empty row is needed: when the bounded input ends, its final
     * watermark ends each key's open paragraph — every paragraph comes out, as offline, the last ones included.
     * Without {@code on_time} the last paragraphs wait for an empty row (the rows above end with one each).
     */
    @Test
    void withATimeAttributeTheEndOfTheInputEndsEachDocumentsLastParagraph() throws Exception {
        LengthNorms norms = Calibration.read(MODEL).orElseThrow().norms(SegmentKind.PARAGRAPH).orElseThrow();
        Map<String, List<Row>> expected = new LinkedHashMap<>();
        offline().forEach((key, paragraphs) -> expected.put(key, paragraphs.stream().map(g -> Row.of(key, g.firstLine(), g.lastLine(), g.text(),
                (int) (g.tokenEnd() - g.tokenStart()), g.mean(), g.contextualMean(), norms.score(g), g.max(), false, null)).toList()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("score_paragraphs", ScoreParagraphs.class);
        List<Row> input = new ArrayList<>();
        for (String[] r : rows()) {
            if (!r[1].isEmpty()) { // no row ends a document
                input.add(Row.of(r[0], r[1], java.time.Instant.ofEpochMilli(1000L * input.size())));
            }
        }
        DataStream<Row> docs = env.fromData(input, Types.ROW_NAMED(new String[] {"doc", "text", "ts"}, Types.STRING, Types.STRING, Types.INSTANT))
                .setParallelism(1);
        t.createTemporaryView("timed", t.fromDataStream(docs, org.apache.flink.table.api.Schema.newBuilder()
                .column("doc", "STRING").column("text", "STRING").column("ts", "TIMESTAMP_LTZ(3)")
                .watermark("ts", "ts - INTERVAL '1' SECOND").build()));
        Map<String, List<Row>> got = new LinkedHashMap<>();
        try (CloseableIterator<Row> it = t.executeSql("SELECT * FROM score_paragraphs(input => TABLE timed PARTITION BY doc, "
                + "text_column => 'text', model => '" + MODEL + "', alert_threshold => 'off', on_time => DESCRIPTOR(ts))").collect()) {
            it.forEachRemaining(r -> got.computeIfAbsent((String) r.getField(0), k -> new ArrayList<>())
                    .add(Row.project(r, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})));
        }
        assertThat(got.keySet()).containsExactlyInAnyOrder("nda", "licence");
        for (String key : expected.keySet()) {
            assertThat(got.get(key)).as(key + ": every paragraph, the last one at the end of the input").containsExactlyElementsOf(expected.get(key));
        }
        assertThat(got.get("licence")).hasSize(3);
        assertThat(got.get("nda")).extracting(r -> r.getField(1)).endsWith(12L);
    }

    @Test
    void anUnknownTextColumnIsRefusedWhileTheQueryIsPlannedInTheFunctionsName() {
        assertThatThrownBy(() -> tables().executeSql("SELECT * FROM score_paragraphs(input => TABLE docs PARTITION BY doc, "
                + "text_column => 'body', model => '" + MODEL + "')"))
                .isInstanceOf(ValidationException.class).hasStackTraceContaining("score_paragraphs: the input has no column 'body'");
    }
}
