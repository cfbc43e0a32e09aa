package io.spikestream.sql;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.ValidationException;
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

/** score_lines on a MiniCluster: rows of several keys scored as each key's document, number for number. */
class ScoreLinesITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final Path MODEL = Path.of("../models/demo-logs").toAbsolutePath().normalize();

    static List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        String[] services = {"auth", "payments", "search"};
        for (int i = 0; i < 30; i++) {
            String service = services[i * 7 % 3];
            String message = i % 5 == 4
                    ? "2026-11-02T01:0" + (i % 10) + ":07Z ERROR [" + service + "] upstream timed out\n    at io.app.Client.call(Client.java:" + (40 + i) + ")"
                    : "2026-11-01T00:00:" + (10 + i) + "Z INFO [" + service + "] req=" + (523938 + i * 17) + " latency_ms=" + (i * 37 % 900) + " status=200";
            rows.add(new String[] {service, i == 13 ? "" : message});
        }
        return rows;
    }

    /** A view {@code logs(service, message)} over the rows, in order: one source task, so a key's rows arrive as written. */
    static TableEnvironment tables() {
        return tables(2, ScoreLines.class);
    }

    static TableEnvironment tables(int parallelism, Class<? extends ScoreLines> function) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(parallelism);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("score_lines", function);
        List<Row> rows = rows().stream().map(r -> Row.of(r[0], r[1])).toList();
        DataStream<Row> logs = env.fromData(rows, Types.ROW_NAMED(new String[] {"service", "message"}, Types.STRING, Types.STRING))
                .setParallelism(1);
        t.createTemporaryView("logs", logs);
        return t;
    }

    /** Each key's lines scored offline, one engine pass per row, as the Kafka job scores text records. */
    static Map<String, List<LineScore>> offline() {
        return offline(Integer.MAX_VALUE, null);
    }

    /** Each key's lines scored offline, every document but {@code kept}'s started anew at row {@code forgottenAt}. */
    static Map<String, List<LineScore>> offline(int forgottenAt, String kept) {
        Map<String, List<LineScore>> out = new LinkedHashMap<>();
        try (Engine engine = Engine.load(MODEL, new EngineOptions(1))) {
            Map<String, DocumentState> docs = new LinkedHashMap<>();
            Map<String, Integer> firstLine = new LinkedHashMap<>();
            List<String[]> rows = rows();
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                if (i == forgottenAt) {
                    docs.keySet().removeIf(k -> !k.equals(kept));
                    out.forEach((k, lines) -> firstLine.put(k, k.equals(kept) ? 0 : lines.size()));
                }
                DocumentState doc = docs.computeIfAbsent(r[0], k -> engine.newDocument());
                List<LineScore> lines = out.computeIfAbsent(r[0], k -> new ArrayList<>());
                lines.addAll(LineScorer.advance(engine, doc, r[1], lines.size() - firstLine.getOrDefault(r[0], 0)).lines());
            }
        }
        return out;
    }

    @Test
    void everyLineOfEveryKeyIsScoredAsItsDocumentIsOffline() throws Exception {
        Map<String, List<LineScore>> offline = offline();
        // a threshold between the lines' means, so that some lines alert and some do not
        double[] means = offline.values().stream().flatMap(List::stream).filter(LineScore::isScored).mapToDouble(LineScore::mean).sorted().toArray();
        double nats = means[means.length / 2];
        AlertThreshold threshold = AlertThreshold.resolve(Double.toString(nats), MODEL).orElseThrow();

        TableEnvironment t = tables();
        Map<String, List<Row>> got = new LinkedHashMap<>();
        try (CloseableIterator<Row> it = t.executeSql("SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'message', model => '" + MODEL + "', alert_threshold => '" + nats + "')").collect()) {
            it.forEachRemaining(r -> got.computeIfAbsent((String) r.getField(0), k -> new ArrayList<>()).add(r));
        }

        assertThat(got.keySet()).containsExactlyInAnyOrder("auth", "payments", "search");
        for (Map.Entry<String, List<LineScore>> e : offline.entrySet()) {
            List<Row> expected = new ArrayList<>();
            for (LineScore l : e.getValue()) {
                expected.add(Row.of(e.getKey(), l.line(), l.text(), (int) (l.tokenEnd() - l.tokenStart()),
                        l.isScored() ? l.mean() : null, l.isScored() ? l.max() : null, threshold.exceeded(l), threshold.value()));
            }
            assertThat(got.get(e.getKey())).as(e.getKey()).containsExactlyElementsOf(expected);
        }
        long alerts = got.values().stream().flatMap(List::stream).filter(r -> (Boolean) r.getField(6)).count();
        assertThat(alerts).as("lines above the median mean").isBetween(10L, 20L);
        // a traced error's second line is a line of its own, and the empty message has no line
        assertThat(got.values().stream().mapToLong(List::size).sum()).isEqualTo(30 - 1 + 6);
    }

    @Test
    void anUnknownOrNonTextColumnIsRefusedWhileTheQueryIsPlanned() {
        TableEnvironment t = tables();
        // executeSql plans the query: these never become a job
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'msg', model => '" + MODEL + "')"))
                .isInstanceOf(ValidationException.class).hasStackTraceContaining("no column 'msg'").hasStackTraceContaining("[service, message]");
        t.executeSql("CREATE TEMPORARY VIEW counts AS SELECT service, CHAR_LENGTH(message) AS n FROM logs");
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM score_lines(input => TABLE counts PARTITION BY service, "
                + "text_column => 'n', model => '" + MODEL + "')"))
                .isInstanceOf(ValidationException.class).hasStackTraceContaining("text_column 'n' must be a STRING column, it is INT");
    }

    @Test
    void aMissingModelIsRefusedWhereTheFunctionRuns() {
        TableEnvironment t = tables();
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'message', model => '/no/such/model')").await())
                .hasStackTraceContaining("model directory /no/such/model does not exist");
    }

    @Test
    void aJobWithCheckpointsAndRestartsStopsOnceOnAMissingModel() {
        TableEnvironment t = tables();
        t.getConfig().set("execution.checkpointing.interval", "200ms");
        t.getConfig().set("restart-strategy.type", "fixed-delay");
        t.getConfig().set("restart-strategy.fixed-delay.attempts", "1000");
        t.getConfig().set("restart-strategy.fixed-delay.delay", "10ms");
        long start = System.nanoTime();
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'message', model => '/no/such/model')").await())
                .hasStackTraceContaining("SuppressRestartsException").hasStackTraceContaining("/no/such/model");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds until it stopped").isLessThan(30);
    }

    /** score_lines that pauses for 2.5 s before its 20th row: longer than a 1 s state_ttl. */
    public static class PausingOnce extends ScoreLines {
        private static final long serialVersionUID = 1L;
        static final java.util.concurrent.atomic.AtomicInteger ROWS = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void eval(Context ctx, @StateHint Progress progress, @StateHint MapView<Integer, byte[]> engineState,
                         @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                         @ArgumentHint(name = "text_column") String textColumn,
                         @ArgumentHint(name = "model") String model,
                         @ArgumentHint(name = "alert_threshold", isOptional = true) String alertThreshold,
                         @ArgumentHint(name = "state_ttl", isOptional = true) String stateTtl) throws Exception {
            if (ROWS.incrementAndGet() == 20) {
                Thread.sleep(2500);
            }
            super.eval(ctx, progress, engineState, input, textColumn, model, alertThreshold, stateTtl);
        }
    }

    @Test
    void aDocumentIdleForLongerThanStateTtlIsForgottenAndStartsAnew() throws Exception {
        TableEnvironment t = tables(1, PausingOnce.class);
        Map<String, List<Row>> got = new LinkedHashMap<>();
        try (CloseableIterator<Row> it = t.executeSql("SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'message', model => '" + MODEL + "', state_ttl => '1 s')").collect()) {
            it.forEachRemaining(r -> got.computeIfAbsent((String) r.getField(0), k -> new ArrayList<>()).add(r));
        }
        // the pause in row 19's call (0-based) outlasts the state of every other key, whose next row starts a new
        // document; row 19's own state was read before the pause and written after it
        Map<String, List<LineScore>> expected = offline(20, rows().get(19)[0]);
        for (Map.Entry<String, List<LineScore>> e : expected.entrySet()) {
            List<String> want = e.getValue().stream().map(l -> l.line() + " " + l.text() + " " + (l.isScored() ? l.mean() : null)).toList();
            assertThat(got.get(e.getKey()).stream().map(r -> r.getField(1) + " " + r.getField(2) + " " + r.getField(4)).toList()).as(e.getKey())
                    .containsExactlyElementsOf(want);
        }
        assertThat(got.values().stream().flatMap(List::stream).filter(r -> (Long) r.getField(1) == 0L).count())
                .as("every key's line 0, and again for the two forgotten ones").isEqualTo(5);
    }

    @Test
    void aMalformedStateTtlIsRefusedWhileThePlanIsMade() {
        TableEnvironment t = TableEnvironment.create(org.apache.flink.table.api.EnvironmentSettings.inStreamingMode());
        t.createTemporarySystemFunction("score_lines", ScoreLines.class);
        t.executeSql("CREATE TEMPORARY TABLE logs (service STRING, message STRING) WITH ('connector' = 'datagen')");
        t.executeSql("CREATE TEMPORARY TABLE sink (service STRING, line BIGINT, line_text STRING, tokens INT, mean_surprisal DOUBLE, "
                + "max_surprisal DOUBLE, alert BOOLEAN, threshold DOUBLE) WITH ('connector' = 'blackhole')");
        String call = "INSERT INTO sink SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, text_column => 'message', model => '" + MODEL + "'";
        assertThatThrownBy(() -> t.compilePlanSql(call + ", state_ttl => 'soon')")).isInstanceOf(ValidationException.class)
                .hasStackTraceContaining("state_ttl 'soon' is not a duration");
    }
}
