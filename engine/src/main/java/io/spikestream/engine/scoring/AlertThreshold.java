package io.spikestream.engine.scoring;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Optional;

/**
 * When a segment is an alert: its score is strictly above {@code value}. A threshold named by a calibration
 * quantile ({@code p99.9}) of a calibration with length norms is on the length-aware score ({@link LengthNorms}:
 * "above what 99.9% of normal lines of its length score"); a number, or a calibration without norms (written
 * before 0.3), is on plain mean surprisal in nats per token.
 *
 * @param name  how it was given: a calibration quantile ({@code p99.9}) or a number of nats
 * @param value the threshold: a length-aware score with {@code norms}, nats per token without
 * @param norms the length norms the score comes from, or null (mean surprisal)
 */
public record AlertThreshold(String name, double value, LengthNorms norms) implements Serializable {
    /** The quantile used when a model has a calibration and no threshold is given. */
    public static final String DEFAULT = "p99.9";

    public AlertThreshold {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("an alert threshold must be a finite number, got " + value);
        }
    }

    /** A threshold on mean surprisal, nats per token. */
    public AlertThreshold(String name, double nats) {
        this(name, nats, null);
    }

    /** Whether it is on the length-aware score (else on mean surprisal). */
    public boolean lengthAware() {
        return norms != null;
    }

    /** The unit of {@link #value()}, for messages. */
    public String unit() {
        return norms == null ? "nats/token" : "(length-aware score)";
    }

    /** What the threshold is compared with: the line's length-aware score, or its mean surprisal; NaN without a score. */
    public double score(LineScore line) {
        if (!line.isScored()) {
            return Double.NaN;
        }
        return norms == null ? line.mean() : norms.score(SegmentScore.of(line, Double.NaN));
    }

    /** The same for any segment. */
    public double score(SegmentScore segment) {
        if (!segment.isScored()) {
            return Double.NaN;
        }
        return norms == null ? segment.mean() : norms.score(segment);
    }

    public boolean exceeded(LineScore line) {
        return line.isScored() && score(line) > value;
    }

    public boolean exceeded(SegmentScore segment) {
        return segment.isScored() && score(segment) > value;
    }

    /**
     * Resolves {@code --alert-threshold} for lines: {@code null} (not given) is {@value #DEFAULT} when the model
     * has a calibration and no alerts otherwise; {@code off} is no alerts; {@code pNN} is that quantile of the
     * model's calibration (an error without one, or without a model: {@code modelDir} null); a number is nats per token.
     */
    public static Optional<AlertThreshold> resolve(String spec, Path modelDir) {
        return resolve(spec, modelDir, SegmentKind.LINE);
    }

    /** {@link #resolve(String, Path)} for segments of {@code kind}. */
    public static Optional<AlertThreshold> resolve(String spec, Path modelDir, SegmentKind kind) {
        Optional<Calibration> calibration = modelDir == null ? Optional.empty() : Calibration.read(modelDir);
        if (spec == null) {
            return calibration.map(c -> of(c, DEFAULT, kind));
        }
        String s = spec.trim();
        if (s.equalsIgnoreCase("off")) {
            return Optional.empty();
        }
        if (s.startsWith("p")) {
            Calibration c = calibration.orElseThrow(() -> new IllegalArgumentException(modelDir == null
                    ? "--alert-threshold " + s + " needs a model's " + Calibration.FILE + " (--model DIR), or give the threshold in nats"
                    : "--alert-threshold " + s + " needs the model's " + Calibration.FILE + ", and " + modelDir + " has none: `./spikestream calibrate --model "
                    + modelDir + " --log NORMAL.log` writes one (train does too), or give the threshold in nats"));
            return Optional.of(of(c, s, kind));
        }
        try {
            return Optional.of(new AlertThreshold(s, Double.parseDouble(s)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--alert-threshold must be off, a calibration quantile such as p99.9, or nats per token"
                    + " such as 4.5; got '" + spec + "'", e);
        }
    }

    /**
     * {@link #resolve(String, Path)} on plain mean surprisal whatever the calibration has: a {@code pNN} is the
     * quantile of line means (for outputs that promise {@code mean > threshold}, such as the SQL function's rows).
     */
    public static Optional<AlertThreshold> resolveOnMean(String spec, Path modelDir) {
        return resolve(spec, modelDir).map(t -> t.norms == null ? t
                : new AlertThreshold(t.name, Calibration.read(modelDir).orElseThrow().quantile(t.name)));
    }

    /** Quantile {@code name} of a calibration: on the length-aware score of {@code kind} when it has those norms. */
    public static AlertThreshold of(Calibration c, String name, SegmentKind kind) {
        Optional<LengthNorms> n = c.norms(kind);
        if (n.isPresent()) {
            return new AlertThreshold(name, n.get().quantile(name), n.get());
        }
        if (kind != SegmentKind.LINE) {
            throw new IllegalArgumentException("the model's " + Calibration.FILE + " has no " + kind.label() + " calibration (`./spikestream calibrate`"
                    + " writes one from normal text with at least " + LengthNorms.MIN_BUCKET + " paragraphs); give the threshold in nats");
        }
        return new AlertThreshold(name, c.quantile(name));
    }
}
