package io.spikestream.trainer.corpus;

import io.spikestream.engine.json.Json;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class LogCorpusTest {
    static final Pattern ACCESS = Pattern.compile(
            "^10\\.\\d+\\.\\d+\\.\\d+ - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000] \"(GET|POST|PUT|DELETE) \\S+ HTTP/1\\.1\" \\d{3} \\d+ \"-\" \".+\" rt=\\d+\\.\\d{3}$");
    static final Pattern APP = Pattern.compile("^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z) (INFO |WARN |ERROR) \\[[a-z]+-\\d] .+$");
    static final Pattern KERNEL = Pattern.compile("^\\[ *\\d+\\.\\d{6}] .+$");

    @Test
    void theSameSeedGivesTheSameLinesAndEveryFormatAppears() {
        List<String> a = new LogGenerator(7).lines(4000);
        assertThat(new LogGenerator(7).lines(4000)).isEqualTo(a);
        assertThat(new LogGenerator(8).lines(4000)).isNotEqualTo(a);
        int access = 0, app = 0, json = 0, kernel = 0, trace = 0, exceptions = 0;
        String lastTs = "";
        for (String line : a) {
            assertThat(line).doesNotContain("\n");
            var m = APP.matcher(line);
            if (ACCESS.matcher(line).matches()) {
                access++;
            } else if (m.matches()) {
                app++;
                assertThat(m.group(1)).as("time moves forward").isGreaterThanOrEqualTo(lastTs);
                lastTs = m.group(1);
            } else if (line.startsWith("{")) {
                Map<String, Object> o = Json.parseObject(line);
                assertThat(o).containsKeys("ts", "level", "service", "trace_id", "msg", "latency_ms", "status");
                json++;
            } else if (KERNEL.matcher(line).matches()) {
                kernel++;
            } else if (line.startsWith("\tat ")) {
                trace++;
            } else if (line.matches("^[a-z]+(\\.[a-z]+)+\\.\\w+(Exception|Error): .+$")) {
                exceptions++;
            } else {
                throw new AssertionError("line in no known format: " + line);
            }
        }
        assertThat(access).isGreaterThan(1000);
        assertThat(app).isGreaterThan(800);
        assertThat(json).isGreaterThan(500);
        assertThat(kernel).isGreaterThan(50);
        assertThat(exceptions).isGreaterThan(5);
        assertThat(trace).isEqualTo(3 * exceptions);
        assertThat(a.stream().distinct().count()).as("varied, not a few repeated lines").isGreaterThan(3500);
    }

    @Test
    void injectionsAreRecordedLineByLineAtTheRequestedRate() {
        AnomalyInjector.LabelledLog log = new AnomalyInjector(3, 0.02).generate(20_000);
        assertThat(new AnomalyInjector(3, 0.02).generate(20_000)).isEqualTo(log);
        assertThat(new AnomalyInjector(3, 0).generate(5000).injections()).isEmpty();
        Map<Anomaly, Integer> kinds = new EnumMap<>(Anomaly.class);
        boolean[] anomalous = log.anomalous();
        long events = 0;
        for (AnomalyInjector.Injection i : log.injections()) {
            kinds.merge(i.kind(), 1, Integer::sum);
            String line = log.lines().get(i.line());
            assertThat(line).doesNotContain("\n");
            switch (i.kind()) {
                case OUT_OF_ORDER -> {
                    String ts = line.substring(0, 24);
                    String before = previousTimestamp(log.lines(), anomalous, i.line());
                    assertThat(ts).as("goes back in time").isLessThan(before);
                }
                case CORRUPTED -> assertThat(line).matches(".*[\\uFFFD\\u2400-\\u241F!-~]{8,}$");
                case UNUSUAL_VALUE -> assertThat(line).matches(".* (\\d{5,}) .*");
                case UNSEEN_ERROR -> {
                    assertThat(AnomalyInjector.UNSEEN_EXCEPTIONS).contains(line);
                    assertThat(log.lines().get(i.line() - 1)).contains(" ERROR [");
                    assertThat(log.lines().get(i.line() + 1)).startsWith("\tat ");
                    // the normal error template: the frames are the classes of the thread's service
                    String svc = log.lines().get(i.line() - 1).replaceAll(".* ERROR \\[([a-z]+)-\\d+\\].*", "$1");
                    assertThat(log.lines().get(i.line() + 1)).startsWith("\tat com.example." + svc + ".");
                    assertThat(i.eventStart()).isEqualTo(i.line() - 1);
                    assertThat(i.eventEnd()).isEqualTo(i.line() + 4);
                }
            }
            assertThat(i.detail()).isEqualTo(line);
            events++;
        }
        assertThat(kinds).containsOnlyKeys(Anomaly.values());
        // about 2% of the ~18,000 events are anomalous
        assertThat(events).isBetween(250L, 500L);
        int flagged = 0;
        for (boolean b : anomalous) {
            flagged += b ? 1 : 0;
        }
        assertThat(flagged).isEqualTo(log.injections().size());
    }

    /** The timestamp of the last normal application line before a line. */
    private static String previousTimestamp(List<String> lines, boolean[] anomalous, int before) {
        for (int i = before - 1; i >= 0; i--) {
            var m = APP.matcher(lines.get(i));
            if (anomalous[i]) {
                continue;
            }
            if (m.matches()) {
                return m.group(1);
            }
        }
        return "9999";
    }
}
