package io.spikestream.cli.report;

import io.spikestream.cli.CliRun;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code score-lines --html}: the page opened by a real browser (Chromium, headless): the DOM its script built
 * has one row per line, the alerts marked in the text and on the chart exactly where the scores are above the
 * threshold, blank lines unshaded; a screenshot is taken. Skipped, saying so, where no Chromium is installed.
 */
class HtmlReportITCase {
    @TempDir
    Path tmp;

    static String browser() {
        for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    static String run(List<String> command, Path out) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("browser finished").isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    @Test
    void theReportOpensInABrowserWithTheAlertsWhereTheScoresAreAboveTheThreshold() throws Exception {
        String browser = browser();
        Assumptions.assumeTrue(browser != null, "no Chromium on PATH (apt-get install chromium): the browser test is skipped");
        // a generated log with anomalies, and blank lines (which have no score)
        List<String> lines = new ArrayList<>(List.of(CliRun.run("", "logs", "--lines", "400", "--seed", "777", "--anomaly-rate", "0.03",
                "--labels", tmp.resolve("labels.jsonl").toString()).out().split("\n")));
        for (int i = 350; i > 0; i -= 50) {
            lines.add(i, i % 100 == 0 ? "" : "   ");
        }
        lines.add(200, "</script><b>not markup</b>");
        Path log = Files.write(tmp.resolve("app.log"), lines, StandardCharsets.UTF_8);
        Path model = TestData.repositoryRoot().resolve("models").resolve("demo-logs");
        Path page = tmp.resolve("report.html");
        CliRun score = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--html", page.toString());
        assertThat(score.exitCode()).as(score.err()).isZero();

        // what the page must show, from the scores themselves
        List<LineScore> scores;
        try (Engine engine = Engine.load(model, new EngineOptions(1))) {
            scores = LineScorer.scoreAll(engine, engine.newDocument(), lines);
        }
        AlertThreshold threshold = AlertThreshold.resolve(null, model).orElseThrow();
        List<Integer> alerts = new ArrayList<>();
        List<Integer> blank = new ArrayList<>();
        for (int i = 0; i < scores.size(); i++) {
            if (threshold.exceeded(scores.get(i))) {
                alerts.add(i + 1);
            }
            if (!scores.get(i).isScored()) {
                blank.add(i + 1);
            }
        }
        assertThat(alerts).hasSizeBetween(3, 40);

        String html = Files.readString(page);
        assertThat(html).as("self-contained").doesNotContain("src=").doesNotContain("<link").doesNotContain("https://")
                .doesNotContain("<b>not markup</b>");
        String dom = run(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", page.toUri().toString()),
                tmp.resolve("dom.html"));
        Matcher row = Pattern.compile("<div id=\"L(\\d+)\" class=\"line( alert)?( blank)?\"").matcher(dom);
        List<Integer> rows = new ArrayList<>();
        List<Integer> marked = new ArrayList<>();
        List<Integer> unshaded = new ArrayList<>();
        while (row.find()) {
            int n = Integer.parseInt(row.group(1));
            rows.add(n);
            if (row.group(2) != null) {
                marked.add(n);
            }
            if (row.group(3) != null) {
                unshaded.add(n);
            }
        }
        assertThat(rows).as("one row per line, in order").hasSize(lines.size()).isSorted();
        assertThat(marked).as("alerts marked in the text").isEqualTo(alerts);
        List<Integer> inserted = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                inserted.add(i + 1);
            }
        }
        assertThat(unshaded).as("lines without a score").isEqualTo(blank).containsAll(inserted);
        assertThat(inserted).hasSizeGreaterThanOrEqualTo(7);
        assertThat(count(dom, "class=\"alert-mark\"")).as("alerts on the chart").isEqualTo(alerts.size());
        assertThat(count(dom, "class=\"threshold\"")).as("the threshold drawn").isEqualTo(1);
        assertThat(dom).contains("<div id=\"summary\">" + lines.size() + " lines; " + alerts.size() + " alerts above p99.9")
                .contains("&lt;/script&gt;&lt;b&gt;not markup&lt;/b&gt;");

        Path png = tmp.resolve("report.png");
        run(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1200,900",
                "--screenshot=" + png, page.toUri().toString()), tmp.resolve("screenshot.log"));
        byte[] image = Files.readAllBytes(png);
        assertThat(image.length).as("a screenshot").isGreaterThan(10_000);
        assertThat(new String(image, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    @Test
    void aW8ASpikeModelsReportHasASpikeRasterAndAParagraphReportShadesByParagraph() throws Exception {
        String browser = browser();
        Assumptions.assumeTrue(browser != null, "no Chromium on PATH (apt-get install chromium): the browser test is skipped");
        String text = CliRun.run("", "logs", "--lines", "300", "--seed", "5").out();
        Path log = Files.writeString(tmp.resolve("service.log"), text);
        Path model = TestData.repositoryRoot().resolve("models").resolve("demo-logs-w8aspike");
        Path page = tmp.resolve("spikes.html");
        CliRun score = CliRun.run("", "score-lines", "--model", model.toString(), "--log", log.toString(), "--html", page.toString());
        assertThat(score.exitCode()).as(score.err()).isZero();
        String dom = run(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", page.toUri().toString()),
                tmp.resolve("spikes-dom.html"));
        // 4 layers × (attention input, o_proj input, MLP input) + 2 SWA layers' queries: 14 sites, a row each; a column per pass
        Matcher passes = Pattern.compile("spike counts per site \\(rows\\) along the document \\((\\d+) passes;").matcher(dom);
        assertThat(passes.find()).as("the raster's legend").isTrue();
        int columns = Integer.parseInt(passes.group(1));
        assertThat(columns).as("a 300-line log is several ~4 KB passes").isGreaterThan(3);
        assertThat(count(dom, "class=\"cell\"")).isEqualTo(14 * columns);
        assertThat(count(dom, "class=\"label\"")).as("a label per row, and the legend").isEqualTo(14 + 1);
        assertThat(dom).containsPattern("layer 0 attention input, lines 1-\\d+: mean \\|spike count\\| [\\d.]+, [\\d.]+% zero");

        // a float model's page has none; by paragraph, a paragraph's lines are shaded alike and its first line marked
        Path legal = TestData.repositoryRoot().resolve("models").resolve("demo-legal");
        String licence = "Permission is granted to copy this file,\nprovided this notice is kept.\n\n# Payment\n\n"
                + "Each Licensee shall deliver one wheel of aged cheese\nto the Author on the first Monday of every leap year.\n";
        Path doc = Files.writeString(tmp.resolve("licence.txt"), licence);
        Path para = tmp.resolve("paragraphs.html");
        CliRun byParagraph = CliRun.run("", "score-lines", "--model", legal.toString(), "--log", doc.toString(), "--segment", "paragraph",
                "--alert-threshold", "0", "--html", para.toString());
        assertThat(byParagraph.exitCode()).as(byParagraph.err()).isZero();
        String pdom = run(List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", para.toUri().toString()),
                tmp.resolve("paragraphs-dom.html"));
        assertThat(pdom).doesNotContain("class=\"cell\"");
        // at 0 nats every paragraph alerts, on its first line only: lines 1, 4 and 6 of the three paragraphs
        Matcher row = Pattern.compile("<div id=\"L(\\d+)\" class=\"line( alert)?( blank)?\"(?:[^>]*?style=\"background: ([^\"]+)\")?").matcher(pdom);
        List<Integer> marked = new ArrayList<>();
        java.util.Map<Integer, String> shade = new java.util.HashMap<>();
        while (row.find()) {
            int n = Integer.parseInt(row.group(1));
            if (row.group(2) != null) {
                marked.add(n);
            }
            shade.put(n, row.group(4));
        }
        assertThat(marked).containsExactly(1, 4, 6);
        assertThat(shade.get(2)).as("the first paragraph's second line, as its first").isEqualTo(shade.get(1)).isNotNull();
        assertThat(shade.get(7)).isEqualTo(shade.get(6)).isNotNull();
        assertThat(shade.get(3)).as("a blank line, in no paragraph").isNull();
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
