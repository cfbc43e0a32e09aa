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
 * @param lines     how many lines the quantiles come from (p99.99 of 2,000 lines is an extrapolation: look here)
 * @param source    what was scored, for a human
 * @param quantiles name ({@code p50}, {@code p99.9}, …) to nats per token, in increasing order
 */
public record Calibration(long lines, String source, Map<String, Double> quantiles) {
    public static final String FILE = "calibration.json";
    /** The quantile levels written, in percent. */
    public static final List<String> LEVELS = List.of("50", "90", "99", "99.9", "99.99");

    public Calibration {
        quantiles = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(quantiles));
    }

    /** The calibration of per-line means (lines without a scored token are left out). */
    public static Calibration of(List<LineScore> lines, String source) {
        double[] means = lines.stream().filter(LineScore::isScored).mapToDouble(LineScore::mean).toArray();
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
        StringBuilder sb = new StringBuilder("{\n  \"statistic\": \"mean surprisal per line, nats/token\",\n  \"source\": ");
        Json.appendString(sb, source);
        sb.append(",\n  \"lines\": ").append(lines).append(",\n  \"quantiles\": {");
        int i = 0;
        for (Map.Entry<String, Double> e : quantiles.entrySet()) {
            sb.append(i++ == 0 ? "\n    " : ",\n    ");
            Json.appendString(sb, e.getKey());
            sb.append(": ").append(Double.toString(e.getValue()));
        }
        sb.append("\n  }\n}\n");
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
            return Optional.of(new Calibration(n.longValue(), o.get("source") instanceof String s ? s : "", q));
        } catch (JsonException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        quantiles.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.3f", v)));
        return sb + " nats/token over " + lines + " lines";
    }
}
