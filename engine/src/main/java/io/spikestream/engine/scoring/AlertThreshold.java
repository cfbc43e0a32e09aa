package io.spikestream.engine.scoring;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Optional;

/**
 * When a line is an alert: its mean surprisal is strictly above {@code nats}.
 *
 * @param name how it was given: a calibration quantile ({@code p99.9}) or a number of nats
 * @param nats the threshold in nats per token
 */
public record AlertThreshold(String name, double nats) implements Serializable {
    /** The quantile used when a model has a calibration and no threshold is given. */
    public static final String DEFAULT = "p99.9";

    public AlertThreshold {
        if (!Double.isFinite(nats)) {
            throw new IllegalArgumentException("an alert threshold must be a finite number of nats, got " + nats);
        }
    }

    public boolean exceeded(LineScore line) {
        return line.isScored() && line.mean() > nats;
    }

    /**
     * Resolves {@code --alert-threshold}: {@code null} (not given) is {@value #DEFAULT} when the model has a
     * calibration and no alerts otherwise; {@code off} is no alerts; {@code pNN} is that quantile of the
     * model's calibration (an error without one, or without a model: {@code modelDir} null); a number is nats per token.
     */
    public static Optional<AlertThreshold> resolve(String spec, Path modelDir) {
        Optional<Calibration> calibration = modelDir == null ? Optional.empty() : Calibration.read(modelDir);
        if (spec == null) {
            return calibration.map(c -> new AlertThreshold(DEFAULT, c.quantile(DEFAULT)));
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
            return Optional.of(new AlertThreshold(s, c.quantile(s)));
        }
        try {
            return Optional.of(new AlertThreshold(s, Double.parseDouble(s)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--alert-threshold must be off, a calibration quantile such as p99.9, or nats per token"
                    + " such as 4.5; got '" + spec + "'", e);
        }
    }
}
