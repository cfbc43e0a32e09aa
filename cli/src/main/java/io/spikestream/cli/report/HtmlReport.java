package io.spikestream.cli.report;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.spiking.SpikeSite;
import io.spikestream.engine.spiking.SpikeSummary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One self-contained HTML page of a scored document (no external assets: it opens offline): the text with each
 * line shaded by its mean surprisal, alerts marked, a chart of the surprisal along the document with the
 * threshold drawn in. The scores travel as JSON inside the page and a small script draws both, so the page is
 * what a browser makes of the data (the tests read the DOM a headless Chromium built).
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /**
     * One line of the page: its number in the document (0-based), its text, the score it is shaded and charted
     * by (the threshold's: a length-aware score, or the mean surprisal), its mean and max surprisal (null
     * without a score), whether it alerted. A paragraph's lines carry the paragraph's numbers; its first line its alert.
     */
    public record Line(long number, String text, Double score, Double mean, Double max, boolean alert) {
        /** The line as {@code score-lines} scored it. */
        public static Line of(String text, LineScore s, Optional<AlertThreshold> threshold) {
            return new Line(s.line(), text, !s.isScored() ? null : threshold.map(t -> t.score(s)).orElse(s.mean()), s.isScored() ? s.mean() : null,
                    s.isScored() ? s.max() : null, threshold.isPresent() && threshold.get().exceeded(s));
        }
    }

    /**
     * The page for a document's {@code lines} (without newlines) scored by segments (its lines, or its
     * paragraphs: each line shaded by its paragraph's score), with {@code threshold} on those segments, and a W8ASpike
     * model's spike raster ({@code raster} null: none).
     */
    public static String render(String title, String subtitle, List<String> lines, List<SegmentScore> segments, Optional<AlertThreshold> threshold,
            Raster raster) {
        Line[] rows = new Line[lines.size()];
        for (SegmentScore g : segments) {
            boolean scored = g.isScored();
            Double score = !scored ? null : threshold.map(t -> t.score(g)).orElse(g.mean());
            for (long k = g.firstLine(); k <= g.lastLine(); k++) {
                rows[(int) k] = new Line(k, lines.get((int) k), score, scored ? g.mean() : null, scored ? g.max() : null,
                        k == g.firstLine() && threshold.isPresent() && threshold.get().exceeded(g));
            }
        }
        for (int i = 0; i < rows.length; i++) {
            rows[i] = rows[i] != null ? rows[i] : new Line(i, lines.get(i), null, null, null, false); // blank lines: in no paragraph
        }
        return render(title, subtitle, List.of(rows), threshold, raster);
    }

    /** The page for {@code lines} (the document's lines, without newlines) and their scores, one each. */
    public static String render(String title, String subtitle, List<String> lines, List<LineScore> scores, Optional<AlertThreshold> threshold) {
        if (lines.size() != scores.size()) {
            throw new IllegalArgumentException(lines.size() + " lines but " + scores.size() + " scores");
        }
        List<Line> rows = new java.util.ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            rows.add(Line.of(lines.get(i), scores.get(i), threshold));
        }
        return render(title, subtitle, rows, threshold);
    }

    /**
     * Spike counts of a W8ASpike model along the document: a row per spike site, a column per engine pass (a
     * stretch of lines), each cell the mean |spike count| per activation and the fraction of zero counts.
     *
     * @param rows    the sites, named
     * @param columns each pass's first and last line (0-based)
     * @param mean    [row][column] mean |spike count|
     * @param zero    [row][column] fraction of activations that did not spike
     */
    public record Raster(List<String> rows, List<long[]> columns, double[][] mean, double[][] zero) {
        /** The raster of {@code passes} (none: null, a float model has no spikes). */
        public static Raster of(List<LineScorer.SpikePass> passes) {
            if (passes.isEmpty()) {
                return null;
            }
            List<SpikeSite> sites = passes.get(0).statistics().sites();
            List<String> rows = sites.stream().map(x -> "layer " + x.layer() + " " + x.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '))
                    .toList();
            double[][] mean = new double[sites.size()][passes.size()];
            double[][] zero = new double[sites.size()][passes.size()];
            List<long[]> columns = new java.util.ArrayList<>();
            for (int c = 0; c < passes.size(); c++) {
                LineScorer.SpikePass p = passes.get(c);
                columns.add(new long[] {p.firstLine(), p.lastLine()});
                for (int r = 0; r < sites.size(); r++) {
                    SpikeSummary site = p.statistics().siteSummary(r);
                    mean[r][c] = site.meanAbs();
                    zero[r][c] = site.zeroFraction();
                }
            }
            return new Raster(rows, columns, mean, zero);
        }
    }

    /** The page for a document's lines, in order. */
    public static String render(String title, String subtitle, List<Line> lines, Optional<AlertThreshold> threshold) {
        return render(title, subtitle, lines, threshold, null);
    }

    /** The page for a document's lines, in order, with a W8ASpike model's spike raster ({@code raster} null: none). */
    public static String render(String title, String subtitle, List<Line> lines, Optional<AlertThreshold> threshold, Raster raster) {
        StringBuilder data = new StringBuilder(64 * lines.size());
        data.append("{\"title\":").append(Json.quote(title)).append(",\"subtitle\":").append(Json.quote(subtitle));
        data.append(",\"threshold\":").append(threshold.map(t -> String.format(Locale.ROOT, "{\"name\":%s,\"value\":%s,\"unit\":%s}",
                Json.quote(t.name()), Double.toString(t.value()), Json.quote(t.unit()))).orElse("null"));
        data.append(",\"lines\":[");
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            data.append(i == 0 ? "" : ",").append("[").append(Json.quote(l.text())).append(',');
            data.append(l.score() == null ? "null" : Double.toString(l.score())).append(',').append(l.max() == null ? "null" : Double.toString(l.max()));
            data.append(',').append(l.alert() ? 1 : 0).append(',').append(l.number() + 1).append(',')
                    .append(l.mean() == null ? "null" : Double.toString(l.mean())).append(']');
        }
        data.append("]");
        if (raster != null) {
            data.append(",\"raster\":{\"rows\":[");
            for (int r = 0; r < raster.rows().size(); r++) {
                data.append(r == 0 ? "" : ",").append(Json.quote(raster.rows().get(r)));
            }
            data.append("],\"columns\":[");
            for (int c = 0; c < raster.columns().size(); c++) {
                data.append(c == 0 ? "" : ",").append('[').append(raster.columns().get(c)[0] + 1).append(',').append(raster.columns().get(c)[1] + 1).append(']');
            }
            data.append("],\"mean\":").append(matrix(raster.mean())).append(",\"zero\":").append(matrix(raster.zero())).append('}');
        }
        data.append('}');
        // "</" inside a script element would end it
        String json = data.toString().replace("</", "<\\/");
        return TEMPLATE.replace("%TITLE%", escape(title)).replace("%DATA%", json);
    }

    private static String matrix(double[][] m) {
        StringBuilder sb = new StringBuilder("[");
        for (int r = 0; r < m.length; r++) {
            sb.append(r == 0 ? "[" : ",[");
            for (int c = 0; c < m[r].length; c++) {
                sb.append(c == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.4f", m[r][c]));
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }

    public static void write(Path file, String page) throws IOException {
        Files.writeString(file, page, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>%TITLE%</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
            header{padding:12px 16px;background:#f4f4f6;border-bottom:1px solid #ddd}
            h1{font-size:18px;margin:0 0 4px} .sub{color:#555}
            #summary{margin-top:6px;font-weight:600}
            #chart{display:block;width:100%;height:160px;background:#fff;border-bottom:1px solid #ddd}
            #chart .curve{fill:none;stroke:#3366cc;stroke-width:1}
            #chart .threshold{stroke:#d33;stroke-dasharray:4 3}
            #chart .alert-mark{fill:#d33}
            #raster{display:none;width:100%;background:#fff;border-bottom:1px solid #ddd}
            #raster .label{font:10px ui-monospace,monospace;fill:#555}
            #text{font:12px/1.35 ui-monospace,monospace;padding:8px 0}
            .line{display:flex;white-space:pre-wrap;word-break:break-all;padding:0 16px}
            .line .n{flex:0 0 5em;color:#999;text-align:right;padding-right:1em;user-select:none}
            .line .t{flex:1}
            .line.alert{outline:1px solid #d33}
            .line.alert .n::before{content:"\\25B6 ";color:#d33}
            .line.blank .t{color:#bbb}
            </style></head>
            <body><header><h1 id="title"></h1><div class="sub" id="subtitle"></div><div id="summary"></div></header>
            <svg id="chart" viewBox="0 0 1000 160" preserveAspectRatio="none"></svg>
            <svg id="raster"></svg>
            <div id="text"></div>
            <script type="application/json" id="data">%DATA%</script>
            <script>
            (function () {
              var d = JSON.parse(document.getElementById("data").textContent);
              document.getElementById("title").textContent = d.title;
              document.getElementById("subtitle").textContent = d.subtitle;
              var lines = d.lines, thr = d.threshold, n = lines.length, top = 0, low = 0, alerts = 0;
              lines.forEach(function (l) { if (l[1] !== null) { top = Math.max(top, l[1]); low = Math.min(low, l[1]); } if (l[3]) alerts++; });
              var scale = Math.max(top, thr ? thr.value * 1.25 : 0, 1e-9) - low;
              var svg = document.getElementById("chart"), ns = "http://www.w3.org/2000/svg";
              function x(i) { return n <= 1 ? 500 : 5 + 990 * i / (n - 1); }
              function y(v) { return 155 - 150 * (v - low) / scale; }
              var path = "", pen = false;
              lines.forEach(function (l, i) {
                if (l[1] === null) { pen = false; return; }
                path += (pen ? "L" : "M") + x(i).toFixed(2) + " " + y(l[1]).toFixed(2);
                pen = true;
              });
              var curve = document.createElementNS(ns, "path");
              curve.setAttribute("class", "curve"); curve.setAttribute("d", path); svg.appendChild(curve);
              if (thr) {
                var t = document.createElementNS(ns, "line");
                t.setAttribute("class", "threshold");
                t.setAttribute("x1", 0); t.setAttribute("x2", 1000); t.setAttribute("y1", y(thr.value)); t.setAttribute("y2", y(thr.value));
                var title = document.createElementNS(ns, "title");
                title.textContent = thr.name + " = " + thr.value.toFixed(3) + " " + thr.unit; t.appendChild(title);
                svg.appendChild(t);
              }
              if (d.raster) {
                // W8ASpike: a row per spike site, a column per pass, darker for more spikes per activation
                // each row shaded over its own range: the sites differ more from each other than along the document
                var ra = d.raster, rs = document.getElementById("raster"), rows = ra.rows.length, cols = ra.columns.length;
                var cell = 10, left = 200, width = Math.max(cols * cell, 10);
                rs.setAttribute("viewBox", "0 0 " + (left + width) + " " + (rows * cell + 14));
                rs.setAttribute("height", rows * cell + 14);
                rs.style.display = "block";
                for (var r = 0; r < rows; r++) {
                  var label = document.createElementNS(ns, "text");
                  label.setAttribute("class", "label"); label.setAttribute("x", 4); label.setAttribute("y", r * cell + 9);
                  label.textContent = ra.rows[r]; rs.appendChild(label);
                  var lo = Math.min.apply(null, ra.mean[r]), hi = Math.max.apply(null, ra.mean[r]);
                  for (var c = 0; c < cols; c++) {
                    var box = document.createElementNS(ns, "rect"), v = ra.mean[r][c];
                    box.setAttribute("class", "cell"); box.setAttribute("x", left + c * (width / cols)); box.setAttribute("y", r * cell);
                    box.setAttribute("width", width / cols); box.setAttribute("height", cell - 1);
                    box.setAttribute("fill", "rgba(51,102,204," + (0.1 + 0.9 * (hi > lo ? (v - lo) / (hi - lo) : 1)).toFixed(3) + ")");
                    var tip = document.createElementNS(ns, "title");
                    tip.textContent = ra.rows[r] + ", lines " + ra.columns[c][0] + "-" + ra.columns[c][1] + ": mean |spike count| "
                        + v.toFixed(3) + ", " + (100 * ra.zero[r][c]).toFixed(1) + "% zero";
                    box.appendChild(tip); rs.appendChild(box);
                  }
                }
                var foot = document.createElementNS(ns, "text");
                foot.setAttribute("class", "label"); foot.setAttribute("x", 4); foot.setAttribute("y", rows * cell + 11);
                foot.textContent = "spike counts per site (rows) along the document (" + cols + " passes; each row shaded from its lowest"
                    + " to its highest mean |spike count|)"; rs.appendChild(foot);
              }
              var text = document.getElementById("text"), frag = document.createDocumentFragment();
              lines.forEach(function (l, i) {
                var row = document.createElement("div");
                row.id = "L" + l[4];
                row.className = "line" + (l[3] ? " alert" : "") + (l[1] === null ? " blank" : "");
                if (l[1] !== null) {
                  var a = Math.max(0, Math.min(1, l[1] / (scale + low)));
                  row.style.background = "rgba(255," + Math.round(200 - 120 * a) + ",0," + (0.55 * a).toFixed(3) + ")";
                  row.title = "score " + l[1].toFixed(3) + "; " + l[5].toFixed(3) + " nats/token (max " + l[2].toFixed(2) + ")";
                }
                var num = document.createElement("span"); num.className = "n"; num.textContent = l[4];
                var body = document.createElement("span"); body.className = "t"; body.textContent = l[0];
                row.appendChild(num); row.appendChild(body); frag.appendChild(row);
                if (l[3]) {
                  var link = document.createElementNS(ns, "a");
                  link.setAttribute("href", "#L" + l[4]);
                  var c = document.createElementNS(ns, "circle");
                  c.setAttribute("class", "alert-mark"); c.setAttribute("cx", x(i)); c.setAttribute("cy", y(l[1])); c.setAttribute("r", 3);
                  link.appendChild(c); svg.appendChild(link);
                }
              });
              text.appendChild(frag);
              document.getElementById("summary").textContent = n + " lines; " + (thr ? alerts + " alerts above " + thr.name
                  + " (" + thr.value.toFixed(3) + " " + thr.unit + ")" : "alerts off");
            })();
            </script></body></html>
            """;
}
