package io.spikestream.engine.scoring;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IncidentTrackerTest {
    static final AlertThreshold T = new AlertThreshold("t", 2.0);

    /** Lines 0.. with these means ('b' for a blank line, scored tokens but no score). */
    static List<LineScore> lines(Object... means) {
        List<LineScore> out = new ArrayList<>();
        for (int i = 0; i < means.length; i++) {
            if (means[i] instanceof String) {
                out.add(new LineScore(i, 0, 0, i, i + 1, 1, 9.0, 9.0, ""));
            } else {
                double m = ((Number) means[i]).doubleValue();
                out.add(new LineScore(i, 0, 0, 2L * i, 2L * i + 2, 2, 2 * m, m, "line " + i));
            }
        }
        return out;
    }

    /** "first-last/top/alerting" of every incident, the last one closed at the end. */
    static List<String> incidents(int gap, List<LineScore> lines) {
        IncidentTracker t = new IncidentTracker(T, gap);
        List<String> out = new ArrayList<>();
        for (LineScore l : lines) {
            t.add(l).ifPresent(i -> out.add(i.firstLine() + "-" + i.lastLine() + "/" + i.top().line() + "/" + i.alerting()));
        }
        t.close().ifPresent(i -> out.add(i.firstLine() + "-" + i.lastLine() + "/" + i.top().line() + "/" + i.alerting()));
        return out;
    }

    @Test
    void consecutiveAlertingLinesAreOneIncidentNamingItsFirstLineRangeAndTop() {
        List<LineScore> l = lines(1, 5, 3, 9, 1, 1, 4, 1, 2.0, 7);
        assertThat(incidents(0, l)).containsExactly("1-3/3/3", "6-6/6/1", "9-9/9/1");
        // two quiet lines lie between 3 and 6 (4, 5) and between 6 and 9 (7, and 8 at exactly the threshold)
        assertThat(incidents(1, l)).containsExactly("1-3/3/3", "6-6/6/1", "9-9/9/1");
        assertThat(incidents(2, l)).containsExactly("1-9/3/5");
    }

    @Test
    void blankLinesNeitherAlertNorSeparate() {
        assertThat(incidents(0, lines(5, "b", "b", 6, 1, "b", 8))).containsExactly("0-3/3/2", "6-6/6/1");
        assertThat(incidents(0, lines("b", 1, "b"))).isEmpty();
    }

    @Test
    void aNegativeGapIsRefused() {
        assertThatThrownBy(() -> new IncidentTracker(T, -1)).hasMessageContaining("gap");
    }
}
