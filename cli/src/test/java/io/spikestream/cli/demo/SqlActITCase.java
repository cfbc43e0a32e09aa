package io.spikestream.cli.demo;

import io.spikestream.cli.CliRun;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.trainer.corpus.AnomalyInjector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code demo --sql}: the README's script, run by Flink's SQL Client over the generated log as JSON records,
 * alerts exactly on the lines whose mean surprisal, scored offline in each service's document, is above p99.9.
 */
class SqlActITCase {
    static final Path MODEL = Path.of("../models/demo-logs").toAbsolutePath().normalize();
    static final int LINES = 600;

    @TempDir
    Path tmp;

    @Test
    void theReadmesScriptIsTheOneTheDemoRuns() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        assertThat(readme).contains("```sql\n" + SqlAct.script() + "```");
    }

    @Test
    void theSqlActAlertsOnTheLinesAboveTheThresholdInEachServicesDocument() throws Exception {
        CliRun run = CliRun.run("", "demo", "--sql", "--model", MODEL.toString(), "--log-lines", Integer.toString(LINES),
                "--work-dir", tmp.resolve("work").toString());
        assertThat(run.exitCode()).as(run.err() + run.out()).isZero();
        Set<String> printed = new TreeSet<>();
        Matcher m = Pattern.compile("ALERT (\\S+) +line +\\d+ \\(its +(\\d+)\\)").matcher(run.out());
        while (m.find()) {
            printed.add(m.group(1) + " " + m.group(2));
        }
        assertThat(printed).isEqualTo(offlineAlerts()).isNotEmpty();
        assertThat(run.out()).contains("act sql          " + LINES + " records -> " + printed.size() + " alerts");
    }

    /** "service line" of each line above p99.9, each service's lines one document, keyed as the act keys them. */
    static Set<String> offlineAlerts() {
        List<String> lines = new AnomalyInjector(DemoCommand.LOG_SEED, DemoCommand.LOG_ANOMALY_RATE).generate(LINES).lines();
        AlertThreshold threshold = AlertThreshold.resolveOnMean("p99.9", MODEL).orElseThrow(); // the SQL rows: mean > threshold
        Pattern key = Pattern.compile(LinesAct.KEY_REGEX);
        Set<String> alerts = new TreeSet<>();
        try (Engine engine = Engine.load(MODEL, new EngineOptions(1))) {
            Map<String, DocumentState> docs = new HashMap<>();
            Map<String, Long> next = new HashMap<>();
            String service = "service-log";
            for (String line : lines) {
                Matcher m = key.matcher(line);
                if (m.find()) {
                    for (int g = 1; g <= m.groupCount(); g++) {
                        if (m.group(g) != null) {
                            service = m.group(g);
                            break;
                        }
                    }
                }
                long n = next.getOrDefault(service, 0L);
                for (LineScore l : LineScorer.advance(engine, docs.computeIfAbsent(service, k -> engine.newDocument()), line, n).lines()) {
                    if (threshold.exceeded(l)) {
                        alerts.add(service + " " + l.line());
                    }
                    next.put(service, l.line() + 1);
                }
            }
        }
        return alerts;
    }
}
