package io.spikestream.cli.report;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The data a report page carries (the browser test, HtmlReportITCase, checks what a browser makes of it). */
class HtmlReportTest {
    @Test
    void byParagraphEveryLineCarriesItsParagraphsScoreAndTheFirstLineItsAlert() throws Exception {
        List<String> lines = List.of("# Title", "first line", "second line", "", "another", "   ");
        List<SegmentScore> paragraphs = List.of(
                new SegmentScore(SegmentKind.PARAGRAPH, 0, 0, 0, 2, 2, 8.0, Double.NaN, 5.0, "# Title"),
                new SegmentScore(SegmentKind.PARAGRAPH, 1, 2, 2, 10, 8, 12.0, Double.NaN, 3.0, "first line\nsecond line"),
                new SegmentScore(SegmentKind.PARAGRAPH, 4, 4, 11, 14, 3, 3.0, Double.NaN, 1.5, "another"));
        // on mean surprisal at 1.4 nats/token: the title (4.0) and the two-line paragraph (1.5) alert, "another" (1.0) not
        String page = HtmlReport.render("t", "s", lines, paragraphs, Optional.of(new AlertThreshold("1.4", 1.4)), null);
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"data\">(.*?)</script>", Pattern.DOTALL).matcher(page);
        assertThat(m.find()).isTrue();
        Map<String, Object> data = Json.parseObject(m.group(1).replace("<\\/", "</"));
        assertThat(asMap(data.get("threshold"))).containsEntry("name", "1.4").containsEntry("unit", "nats/token");
        List<?> rows = (List<?>) data.get("lines");
        assertThat(rows).hasSize(6);
        // [text, score, max, alert, number (1-based), mean]
        assertThat(row(rows, 0)).containsExactly("# Title", 4.0, 5.0, 1L, 1L, 4.0);
        assertThat(row(rows, 1)).containsExactly("first line", 1.5, 3.0, 1L, 2L, 1.5);
        assertThat(row(rows, 2)).as("the paragraph's second line: its score, no second alert").containsExactly("second line", 1.5, 3.0, 0L, 3L, 1.5);
        assertThat(row(rows, 3)).as("a blank line belongs to no paragraph").containsExactly("", null, null, 0L, 4L, null);
        assertThat(row(rows, 4)).containsExactly("another", 1.0, 1.5, 0L, 5L, 1.0);
        assertThat(row(rows, 5)).containsExactly("   ", null, null, 0L, 6L, null);
        assertThat(data).as("a float model has no spike raster").doesNotContainKey("raster");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> row(List<?> rows, int i) {
        return (List<Object>) rows.get(i);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }
}
