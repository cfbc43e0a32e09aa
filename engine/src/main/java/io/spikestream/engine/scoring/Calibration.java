package io.spikestream.engine.scoring;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What per-line mean surprisal looks like on normal text under a model: quantiles over the scored lines of
 * held-out text, kept as {@value #FILE} in the model directory. An alert threshold such as {@code p99.9} means
 * "above what 99.9% of normal lines score", so it means the same for every model.
 *
 * <p>Quantiles interpolate linearly between order statistics (the R-7 / numpy default): with n sorted values
 * x[0..n-1], quantile q is x[h] + (h - floor h)(x[floor h + 1] - x[floor h]) at h = (n - 1) q.
 *
 * <p>Since 0.3 it also holds, per segment kind, {@link LengthNorms}: what normal lines and paragraphs score by
 * length, which the ranking and the {@code pNN} alert thresholds use; and the {@link Background} token counts of
 * the training text that contextual surprisal needs. A file without them (0.2) still loads: its thresholds are
 * on plain mean surprisal as before. Since 0.4 paragraph norms are {@link LengthNorms.Form#WEIGHED} (their
 * median token count as {@code weight_tokens}); a 0.3 file's paragraph norms stay by length, unweighed.
 *
 * @param lines      how many lines the quantiles come from (p99.99 of 2,000 lines is an extrapolation: look here)
 * @param source     what was scored, for a human
 * @param quantiles  name ({@code p50}, {@code p99.9}, …) to nats per token of per-line mean surprisal, in increasing order
 * @param norms      length norms by segment kind (empty in old files)
 * @param background the training text's token counts, or null
 */
public record Calibration(long lines, String source, Map<String, Double> quantiles, Map<SegmentKind, LengthNorms> norms, Background background) {
    public static final String FILE = "calibration.json";
    /** The quantile levels written, in percent. */
    public static final List<String> LEVELS = List.of("50", "90", "99", "99.9", "99.99");

    public Calibration {
        quantiles = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(quantiles));
        norms = java.util.Collections.unmodifiableMap(new java.util.EnumMap<>(norms.isEmpty() ? new java.util.EnumMap<>(SegmentKind.class) : norms));
    }

    /** A calibration of line means alone (as written before 0.3). */
    public Calibration(long lines, String source, Map<String, Double> quantiles) {
        this(lines, source, quantiles, Map.of(), null);
    }

    /**
     * The calibration of normal documents' lines (each document's lines as {@link LineScorer#scoreAll(io.spikestream.engine.Engine,
     * io.spikestream.engine.state.DocumentState, List, double[])} scores them from a fresh state, background sums
     * included when {@code background} is given): the line means' quantiles, the lines' length norms (on
     * surprisal), and the paragraphs' (on contextual surprisal when there is a background) when the documents
     * have at least {@value LengthNorms#MIN_BUCKET} paragraphs.
     */
    public static Calibration fit(List<List<SegmentScore>> documents, Background background, String source) {
        return fit(documents, background, source, LengthNorms.Form.BY_LENGTH);
    }

    /**
     * As {@link #fit(List, Background, String)}, the lines' norms of the given form: {@link LengthNorms.Form#BY_LENGTH}
     * for logs (a line's length says what kind of line it is), {@link LengthNorms.Form#PER_TOKEN} for wrapped prose.
     */
    public static Calibration fit(List<List<SegmentScore>> documents, Background background, String source, LengthNorms.Form lineForm) {
        List<SegmentScore> lines = new java.util.ArrayList<>();
        List<SegmentScore> paragraphs = new java.util.ArrayList<>();
        for (List<SegmentScore> doc : documents) {
            lines.addAll(doc);
            paragraphs.addAll(Segments.paragraphs(doc));
        }
        Calibration plain = ofMeans(lines.stream().filter(SegmentScore::isScored).mapToDouble(SegmentScore::mean).toArray(), source);
        Map<SegmentKind, LengthNorms> norms = new java.util.EnumMap<>(SegmentKind.class);
        norms.put(SegmentKind.LINE, LengthNorms.fit(SegmentKind.LINE, lineStatistic(lineForm, background), lineForm, lines));
        if (paragraphs.stream().filter(SegmentScore::isScored).count() >= LengthNorms.MIN_BUCKET) {
            norms.put(SegmentKind.PARAGRAPH, LengthNorms.fit(SegmentKind.PARAGRAPH,
                    background == null ? LengthNorms.Statistic.SURPRISAL : LengthNorms.Statistic.CONTEXTUAL, LengthNorms.Form.WEIGHED, paragraphs));
        }
        return new Calibration(plain.lines(), source, plain.quantiles(), norms, background);
    }

    /** Prose lines on contextual surprisal (72% against 54% on plain surprisal in clause-test --segment line); log lines on surprisal. */
    static LengthNorms.Statistic lineStatistic(LengthNorms.Form lineForm, Background background) {
        return lineForm == LengthNorms.Form.PER_TOKEN && background != null
                ? LengthNorms.Statistic.CONTEXTUAL : LengthNorms.Statistic.SURPRISAL;
    }

    /** The length norms of a segment kind, if this calibration has them. */
    public Optional<LengthNorms> norms(SegmentKind kind) {
        return Optional.ofNullable(norms.get(kind));
    }

    /** The calibration of per-line means (lines without a scored token are left out). */
    public static Calibration of(List<LineScore> lines, String source) {
        return ofMeans(lines.stream().filter(LineScore::isScored).mapToDouble(LineScore::mean).toArray(), source);
    }

    /** The calibration of per-line means (of scored lines only). */
    private static Calibration ofMeans(double[] means, String source) {
        if (means.length == 0) {
            throw new IllegalArgumentException("no scored line to calibrate on (" + source + ")");
        }
        Arrays.sort(means);
        Map<String, Double> q = new LinkedHashMap<>();
        for (String level : LEVELS) {
            q.put("p" + level, quantile(means, Double.parseDouble(level) / 100));
        }
        return new Calibration(means.length, source, q);
    }

    /** Quantile {@code q} in [0, 1] of sorted values, linear interpolation. */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The value of a quantile by name ({@code p99.9}); an unknown name lists the known ones. */
    public double quantile(String name) {
        Double v = quantiles.get(name);
        if (v == null) {
            throw new IllegalArgumentException("the calibration has no quantile " + name + "; it has " + quantiles.keySet());
        }
        return v;
    }

    /** Writes {@value #FILE} into {@code dir}; the numbers round-trip exactly (shortest repr of each double). */
    public void write(Path dir) throws IOException {
        boolean weighed = norms.values().stream().anyMatch(n -> n.form() == LengthNorms.Form.WEIGHED);
        StringBuilder sb = new StringBuilder("{\n  \"version\": " + (norms.isEmpty() ? "\"0.2\"" : weighed ? "\"0.4\"" : "\"0.3\"")
                + ",\n  \"statistic\": \"mean surprisal per line, nats/token\",\n  \"source\": ");
        Json.appendString(sb, source);
        sb.append(",\n  \"lines\": ").append(lines).append(",\n  \"quantiles\": {");
        int i = 0;
        for (Map.Entry<String, Double> e : quantiles.entrySet()) {
            sb.append(i++ == 0 ? "\n    " : ",\n    ");
            Json.appendString(sb, e.getKey());
            sb.append(": ").append(Double.toString(e.getValue()));
        }
        sb.append("\n  }");
        for (LengthNorms n : norms.values()) {
            sb.append(",\n  \"").append(n.kind().label()).append("_norms\": {\"statistic\": ");
            Json.appendString(sb, n.statistic().label());
            sb.append(", \"form\": ");
            Json.appendString(sb, n.form().label());
            if (n.form() == LengthNorms.Form.WEIGHED) {
                sb.append(", \"weight_tokens\": ").append(Double.toString(n.weightTokens()));
            }
            sb.append(", \"segments\": ").append(n.segments()).append(", \"buckets\": [");
            int k = 0;
            for (LengthNorms.Bucket b : n.buckets()) {
                sb.append(k++ == 0 ? "\n    " : ",\n    ").append("{\"min_tokens\": ").append(b.minTokens()).append(", \"max_tokens\": ")
                        .append(b.maxTokens() < 0 ? "null" : Integer.toString(b.maxTokens())).append(", \"count\": ").append(b.count())
                        .append(", \"median\": ").append(Double.toString(b.median())).append(", \"scale\": ").append(Double.toString(b.scale())).append('}');
            }
            sb.append("],\n    \"score_quantiles\": {");
            k = 0;
            for (Map.Entry<String, Double> e : n.quantiles().entrySet()) {
                sb.append(k++ == 0 ? "" : ", ");
                Json.appendString(sb, e.getKey());
                sb.append(": ").append(Double.toString(e.getValue()));
            }
            sb.append("}}");
        }
        if (background != null) {
            sb.append(",\n  \"background_counts\": [");
            long[] c = background.counts();
            for (int k = 0; k < c.length; k++) {
                sb.append(k == 0 ? "" : k % 32 == 0 ? ",\n    " : ",").append(c[k]);
            }
            sb.append(']');
        }
        sb.append("\n}\n");
        Files.writeString(dir.resolve(FILE), sb.toString(), StandardCharsets.UTF_8);
    }

    /** The calibration of a model directory, if it has one; a malformed file is an error naming it. */
    public static Optional<Calibration> read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Map<String, Object> o = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
            if (!(o.get("lines") instanceof Number n) || !(o.get("quantiles") instanceof Map<?, ?> qs)) {
                throw new IllegalArgumentException(file + ": expected \"lines\" (a number) and \"quantiles\" (an object)");
            }
            Map<String, Double> q = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : qs.entrySet()) {
                if (!(e.getValue() instanceof Number v) || !Double.isFinite(v.doubleValue())) {
                    throw new IllegalArgumentException(file + ": quantile " + e.getKey() + " is not a finite number: " + e.getValue());
                }
                q.put((String) e.getKey(), v.doubleValue());
            }
            Map<SegmentKind, LengthNorms> norms = new java.util.EnumMap<>(SegmentKind.class);
            for (SegmentKind kind : SegmentKind.values()) {
                if (o.get(kind.label() + "_norms") instanceof Map<?, ?> m) {
                    norms.put(kind, readNorms(file, kind, m));
                } else if (o.containsKey(kind.label() + "_norms")) {
                    throw new IllegalArgumentException(file + ": \"" + kind.label() + "_norms\" must be an object");
                }
            }
            Background background = null;
            if (o.get("background_counts") instanceof List<?> counts) {
                long[] c = new long[counts.size()];
                for (int k = 0; k < c.length; k++) {
                    if (!(counts.get(k) instanceof Number v) || v.doubleValue() != Math.rint(v.doubleValue()) || v.doubleValue() < 0) {
                        throw new IllegalArgumentException(file + ": background_counts[" + k + "] is not a count: " + counts.get(k));
                    }
                    c[k] = v.longValue();
                }
                background = new Background(c);
            } else if (o.containsKey("background_counts")) {
                throw new IllegalArgumentException(file + ": \"background_counts\" must be an array of counts");
            }
            return Optional.of(new Calibration(n.longValue(), o.get("source") instanceof String s ? s : "", q, norms, background));
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static LengthNorms readNorms(Path file, SegmentKind kind, Map<?, ?> m) {
        String where = file + ": \"" + kind.label() + "_norms\"";
        if (!(m.get("statistic") instanceof String statistic) || !(m.get("segments") instanceof Number segments)
                || !(m.get("buckets") instanceof List<?> buckets) || !(m.get("score_quantiles") instanceof Map<?, ?> qs)) {
            throw new IllegalArgumentException(where + " needs \"statistic\", \"segments\", \"buckets\" and \"score_quantiles\"");
        }
        List<LengthNorms.Bucket> bs = new java.util.ArrayList<>();
        for (Object b : buckets) {
            if (!(b instanceof Map<?, ?> bm) || !(bm.get("min_tokens") instanceof Number min) || !(bm.get("count") instanceof Number count)
                    || !(bm.get("median") instanceof Number median) || !(bm.get("scale") instanceof Number scale)) {
                throw new IllegalArgumentException(where + ": a bucket needs min_tokens, max_tokens, count, median and scale: " + b);
            }
            int max = bm.get("max_tokens") instanceof Number x ? x.intValue() : -1;
            bs.add(new LengthNorms.Bucket(min.intValue(), max, count.longValue(), median.doubleValue(), scale.doubleValue()));
        }
        Map<String, Double> q = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : qs.entrySet()) {
            if (!(e.getValue() instanceof Number v) || !Double.isFinite(v.doubleValue())) {
                throw new IllegalArgumentException(where + ": score quantile " + e.getKey() + " is not a finite number: " + e.getValue());
            }
            q.put((String) e.getKey(), v.doubleValue());
        }
        try {
            // files of the first 0.3 have no form: theirs is by length
            LengthNorms.Form form = m.get("form") == null ? LengthNorms.Form.BY_LENGTH
                    : LengthNorms.Form.parse(m.get("form") instanceof String f ? f : String.valueOf(m.get("form")));
            // weighed norms (0.4) carry their n₀; the forms before have none
            if (m.containsKey("weight_tokens") && !(m.get("weight_tokens") instanceof Number)) {
                throw new IllegalArgumentException("\"weight_tokens\" must be a number, got " + m.get("weight_tokens"));
            }
            double weightTokens = m.get("weight_tokens") instanceof Number w ? w.doubleValue() : 0;
            return new LengthNorms(kind, LengthNorms.Statistic.parse(statistic), form, segments.longValue(), bs, q, weightTokens);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        quantiles.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.3f", v)));
        return sb + " nats/token over " + lines + " lines";
    }
}
