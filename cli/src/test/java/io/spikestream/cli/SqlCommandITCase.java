package io.spikestream.cli;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sql}: Flink's own SQL Client, the function from the function jar (not this classpath: USING JAR),
 * a local MiniCluster; the scores are those of the engine offline.
 */
class SqlCommandITCase {
    static final Path MODEL = Path.of("../models/demo-logs").toAbsolutePath().normalize();

    @Test
    void theSqlClientScoresLinesWithTheFunctionJar() throws Exception {
        CliRun r = CliRun.run("", "sql", "-e", "CREATE TEMPORARY VIEW logs AS SELECT * FROM (VALUES ('auth', 'INFO ok; fine')) AS v(service, message); "
                + "SELECT service, line, tokens, CAST(mean_surprisal AS STRING) AS m FROM score_lines(input => TABLE logs PARTITION BY service, "
                + "text_column => 'message', model => '" + MODEL + "');");
        assertThat(r.exitCode()).as(r.out()).isZero();
        LineScore expected;
        try (Engine engine = Engine.load(MODEL, new EngineOptions(1))) {
            DocumentState doc = engine.newDocument();
            List<LineScore> lines = LineScorer.advance(engine, doc, "INFO ok; fine", 0).lines();
            assertThat(lines).hasSize(1);
            expected = lines.get(0);
        }
        assertThat(r.out()).containsPattern("\\|\\s+auth \\|\\s+0 \\|\\s+" + (expected.tokenEnd() - expected.tokenStart())
                + " \\|\\s+" + java.util.regex.Pattern.quote(Double.toString(expected.mean())) + " \\|")
                .contains("Received a total of 1 row");
    }

    @Test
    void theSqlClientScoresParagraphsWithTheFunctionJar() throws Exception {
        Path legal = Path.of("../models/demo-legal").toAbsolutePath().normalize();
        String text = "1. Grant. The Licensor grants a licence.\nIt is perpetual.\n\n2. Cheese. Pay in cheese.\n";
        // two rows: the text, then an empty one that ends the last paragraph
        CliRun r = CliRun.run("", "sql", "-e", "CREATE TEMPORARY VIEW docs AS SELECT * FROM (VALUES ('nda', 1, '" + text.replace("\n", "' || CHR(10) || '")
                + "'), ('nda', 2, '')) AS v(doc, n, body); "
                + "SELECT doc, line, line_end, tokens, CAST(mean_surprisal AS STRING) AS m FROM score_paragraphs(input => TABLE docs PARTITION BY doc, "
                + "text_column => 'body', model => '" + legal + "');");
        assertThat(r.exitCode()).as(r.out()).isZero();
        List<io.spikestream.engine.scoring.SegmentScore> expected;
        try (Engine engine = Engine.load(legal, new EngineOptions(1))) {
            expected = LineScorer.scoreAll(engine, engine.newDocument(), List.of(text.split("\n")), null)
                    .segments(io.spikestream.engine.scoring.SegmentKind.PARAGRAPH);
        }
        assertThat(expected).hasSize(2);
        for (io.spikestream.engine.scoring.SegmentScore g : expected) {
            assertThat(r.out()).containsPattern("\\|\\s+nda \\|\\s+" + g.firstLine() + " \\|\\s+" + g.lastLine() + " \\|\\s+"
                    + (g.tokenEnd() - g.tokenStart()) + " \\|\\s+" + java.util.regex.Pattern.quote(Double.toString(g.mean())) + " \\|");
        }
        assertThat(r.out()).contains("Received a total of 2 rows");
    }

    @Test
    void aFailedStatementMakesTheCommandFail() {
        CliRun r = CliRun.run("", "sql", "-e", "SELECT * FROM no_such_table;");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).contains("Could not execute SQL statement").contains("no_such_table");
    }
}
