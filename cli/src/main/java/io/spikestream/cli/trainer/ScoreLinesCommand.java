package io.spikestream.cli.trainer;

import io.spikestream.cli.report.HtmlReport;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.Background;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LengthNorms;
import io.spikestream.engine.scoring.SegmentKind;
import io.spikestream.engine.scoring.SegmentScore;
import io.spikestream.engine.scoring.IncidentTracker;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.trainer.eval.RocAuc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/** {@code ./spikestream score-lines}: per-line surprisal of a log under a model, and detection quality. */
@Command(name = "score-lines", mixinStandardHelpOptions = true,
        description = {"Read a text (a log) through a model as one document and score every line or paragraph by its surprisal",
            "(mean -ln p over its tokens) and, when the model's calibration.json has length norms, by how far that is above what",
            "normal segments of its length score. Prints the most surprising ones; with --labels (from `logs --labels`), the ROC AUC",
            "of the line scores and the precision and recall of the lines above the alert threshold."})
public final class ScoreLinesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true) Path model;
    @Option(names = "--log", required = true) Path log;
    @Option(names = "--labels", description = "Anomaly labels: JSON lines with a \"line\" index.") Path labels;
    @Option(names = "--top", defaultValue = "10") int top;
    @Option(names = "--threads", description = "Kernel threads (default: all cores; the scores do not depend on it).") Integer threads;
    @Option(names = "--alert-threshold", description = {"With --labels: precision and recall of the lines above this threshold: a quantile",
        "of the model's calibration.json (default p99.9 when it has one), nats per token, or off."}) String alertThreshold;
    @Option(names = "--incident-gap", defaultValue = "0", description = {"With --labels: alerting lines with at most this many scored,",
        "non-alerting lines between them are one incident (default 0: consecutive lines)."}) int incidentGap;
    @Option(names = "--html", description = {"Also write a self-contained HTML page here: the text shaded by score, alerts marked,",
        "a chart of surprisal along the document with the threshold (no external assets)."}) Path html;
    @Option(names = "--scores", description = "Also write each line's mean and max surprisal here (tab-separated, one line each).") Path scores;

    @Option(names = "--segment", defaultValue = "line", description = {"What is ranked and shaded: line (default) or paragraph (the lines",
        "between blank lines; a Markdown heading on its own). Labels and alerts are by line."}) String segment;

    @Override
    public Integer call() throws Exception {
        SegmentKind kind = SegmentKind.parse(segment);
        if (kind != SegmentKind.LINE && labels != null) {
            throw new IllegalArgumentException("--labels are by line: use them with --segment line");
        }
        List<String> lines = LogFile.lines(log);
        Optional<Calibration> calibration = Calibration.read(model);
        double[] background = calibration.map(Calibration::background).map(Background::surprisals).orElse(null);
        long start = System.nanoTime();
        long tokens = 0;
        double sum = 0;
        long scoredTokens = 0;
        LineScorer.ScoredLines result;
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            // Lines go through the model in batches of about LineScorer.BATCH_TOKENS: any chunking of a document
            // gives the same bits, and a batch amortizes the per-call work that tiny models are dominated by.
            if (background != null && background.length != engine.model().config().vocabSize()) {
                throw new IllegalArgumentException(model.resolve(Calibration.FILE) + " counts " + background.length + " tokens but the model has "
                        + engine.model().config().vocabSize() + ": it belongs to another model (`./spikestream calibrate` rewrites it)");
            }
            result = LineScorer.scoreAll(engine, engine.newDocument(), lines, background);
        }
        List<LineScore> scored = result.lines();
        double[] mean = new double[lines.size()];
        double[] max = new double[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            LineScore l = scored.get(i);
            mean[i] = l.isScored() ? l.mean() : 0;
            max[i] = l.isScored() ? l.max() : 0;
            sum += l.sum();
            scoredTokens += l.scored();
            tokens += l.tokenEnd() - l.tokenStart();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (scores != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < mean.length; i++) {
                sb.append(String.format(Locale.ROOT, "%.6f\t%.6f%n", mean[i], max[i]));
            }
            Files.writeString(scores, sb.toString());
        }
        System.out.printf(Locale.ROOT, "%d lines, %,d tokens in %.1f s (%,.0f tokens/s, %d threads, JDK %s); perplexity %.3f (%.4f nats/token)%n",
                lines.size(), tokens, seconds, tokens / seconds, threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                Runtime.version().feature(), Math.exp(sum / scoredTokens), sum / scoredTokens);
        // the ranking's score: the length-aware one of the calibration (for this segment kind), else the mean
        List<SegmentScore> segments = result.segments(kind);
        Optional<LengthNorms> norms = calibration.flatMap(c -> c.norms(kind));
        ToDoubleFunction<SegmentScore> rank = norms.isPresent() ? norms.get()::score : SegmentScore::mean;
        if (html != null) {
            Optional<AlertThreshold> t = AlertThreshold.resolve(alertThreshold, model, kind);
            HtmlReport.write(html, HtmlReport.render(log.getFileName().toString(), String.format(Locale.ROOT,
                    "%s under %s: %,d lines, %,d tokens, perplexity %.3f%s", log, model, lines.size(), tokens, Math.exp(sum / scoredTokens),
                    kind == SegmentKind.LINE ? "" : "; shaded by paragraph"), lines, segments, t, HtmlReport.Raster.of(result.spikes())));
            System.out.println("report: " + html);
        }
        System.out.println("most surprising " + kind.label() + "s (" + (norms.isPresent() ? "score: " + norms.get().statistic().label()
                + " " + scoreForm(norms.get()) + "; then " : "") + "mean nats/token):");
        segments.stream().filter(SegmentScore::isScored).sorted(Comparator.comparingDouble((SegmentScore g) -> -rank.applyAsDouble(g))).limit(top)
                .forEach(g -> {
                    String text = g.text().lines().findFirst().orElse("");
                    text = text.length() > 100 ? text.substring(0, 97) + "..." : text;
                    String where = g.kind() == SegmentKind.LINE ? String.format(Locale.ROOT, "line %-6d", g.firstLine() + 1)
                            : String.format(Locale.ROOT, "lines %d-%d", g.firstLine() + 1, g.lastLine() + 1);
                    System.out.printf(Locale.ROOT, "  %s%6.2f  %s %s%n", norms.isPresent() ? String.format(Locale.ROOT, "%7.2f ", rank.applyAsDouble(g)) : "",
                            g.mean(), where, text);
                });
        if (labels != null) {
            boolean[] anomalous = new boolean[lines.size()];
            int[] eventOf = new int[lines.size()]; // which injected event a line belongs to, or -1
            java.util.Arrays.fill(eventOf, -1);
            int events = 0;
            for (String l : Files.readAllLines(labels, StandardCharsets.UTF_8)) {
                Map<String, Object> label = Json.parseObject(l);
                anomalous[((Number) label.get("line")).intValue()] = true;
                if (label.get("event") instanceof List<?> range && range.size() == 2) {
                    for (int i = ((Number) range.get(0)).intValue(); i < ((Number) range.get(1)).intValue() && i < lines.size(); i++) {
                        eventOf[i] = events;
                    }
                    events++;
                }
            }
            System.out.printf(Locale.ROOT, "ROC AUC of line scores: mean surprisal %.4f, max surprisal %.4f (%d anomalous of %d lines)%n",
                    RocAuc.of(mean, anomalous), RocAuc.of(max, anomalous), count(anomalous), lines.size());
            if (norms.isPresent()) {
                double[] z = segments.stream().mapToDouble(g -> g.isScored() ? rank.applyAsDouble(g) : -1e300).toArray();
                System.out.printf(Locale.ROOT, "ROC AUC of the length-aware score: %.4f%n", RocAuc.of(z, anomalous));
            }
            Optional<AlertThreshold> threshold = AlertThreshold.resolve(alertThreshold, model);
            if (threshold.isPresent()) {
                AlertThreshold t = threshold.get();
                boolean[] alert = new boolean[lines.size()];
                int flagged = 0;
                int hits = 0;
                for (int i = 0; i < alert.length; i++) {
                    alert[i] = t.exceeded(scored.get(i));
                    if (alert[i]) {
                        flagged++;
                        hits += anomalous[i] ? 1 : 0;
                    }
                }
                int positives = count(anomalous);
                System.out.printf(Locale.ROOT, "alerts at %s (%.4f %s): precision %.4f, recall %.4f (%d of %d lines above are anomalous; %d of %d anomalous lines above)%n",
                        t.name(), t.value(), t.lengthAware() ? "length-aware score" : "nats/token", flagged == 0 ? 0.0 : (double) hits / flagged,
                        positives == 0 ? 0.0 : (double) hits / positives, hits, flagged, hits, positives);
                incidents(scored, t, anomalous, eventOf, events);
                if (events > 0) {
                    // by event: a line above the threshold that lies in an injected event (an unseen error's stack frames
                    // too) is a true alert; an event is found when any of its lines is above
                    int inEvents = 0;
                    java.util.Set<Integer> found = new java.util.HashSet<>();
                    for (int i = 0; i < alert.length; i++) {
                        if (alert[i] && eventOf[i] >= 0) {
                            inEvents++;
                            found.add(eventOf[i]);
                        }
                    }
                    System.out.printf(Locale.ROOT, "alerts by event: precision %.4f, recall %.4f (%d of %d lines above lie in an injected event; %d of %d events have a line above)%n",
                            flagged == 0 ? 0.0 : (double) inEvents / flagged, (double) found.size() / events, inEvents, flagged, found.size(), events);
                }
            } else {
                System.out.println("alerts: off (the model has no calibration.json and no --alert-threshold was given)");
            }
        }
        return 0;
    }

    /**
     * The alerts as incidents ({@link IncidentTracker}): by line, an incident is right when its first line is a
     * labelled one, and a labelled line is found when an incident starts at it; by event, an incident is right when
     * one of its lines lies in an injected event, and an event is found when an incident covers one of its lines.
     */
    private void incidents(List<LineScore> scored, AlertThreshold t, boolean[] anomalous, int[] eventOf, int events) {
        IncidentTracker tracker = new IncidentTracker(t, incidentGap);
        List<IncidentTracker.Incident> incidents = new java.util.ArrayList<>();
        for (LineScore l : scored) {
            tracker.add(l).ifPresent(incidents::add);
        }
        tracker.close().ifPresent(incidents::add);
        int right = 0;
        int inEvents = 0;
        java.util.Set<Integer> found = new java.util.HashSet<>();
        for (IncidentTracker.Incident i : incidents) {
            right += anomalous[(int) i.firstLine()] ? 1 : 0;
            boolean inEvent = false;
            for (long k = i.firstLine(); k <= i.lastLine(); k++) {
                if (eventOf[(int) k] >= 0) {
                    inEvent = true;
                    found.add(eventOf[(int) k]);
                }
            }
            inEvents += inEvent ? 1 : 0;
        }
        int positives = count(anomalous);
        int n = incidents.size();
        System.out.printf(Locale.ROOT, "incidents at %s (gap %d): %d incidents; by first line: precision %.4f, recall %.4f (%d of %d start at an anomalous line; %d of %d anomalous lines start one)%n",
                t.name(), incidentGap, n, n == 0 ? 0.0 : (double) right / n, positives == 0 ? 0.0 : (double) right / positives, right, n, right, positives);
        if (events > 0) {
            System.out.printf(Locale.ROOT, "incidents by event: precision %.4f, recall %.4f (%d of %d incidents touch an injected event; %d of %d events are covered)%n",
                    n == 0 ? 0.0 : (double) inEvents / n, (double) found.size() / events, inEvents, n, found.size(), events);
        }
    }

    private static int count(boolean[] b) {
        int n = 0;
        for (boolean x : b) {
            n += x ? 1 : 0;
        }
        return n;
    }

    /** How a score of these norms reads, for the ranking's header. */
    static String scoreForm(LengthNorms n) {
        String same = "in robust z among normal " + n.kind().label() + "s of the same length";
        return switch (n.form()) {
            case BY_LENGTH -> same;
            case PER_TOKEN -> "above the normal " + n.kind().label() + "s' centre, in spreads per √token";
            case WEIGHED -> same + String.format(Locale.ROOT, ", weighed by √(tokens / (tokens + %.0f))", n.weightTokens());
        };
    }
}
