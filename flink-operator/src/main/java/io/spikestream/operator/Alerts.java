package io.spikestream.operator;

import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.SegmentKind;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * When a line becomes an alert. Resolved once, where the model can be read: on the client when it sees the model
 * directory ({@link #resolve}), else on each TaskManager when the operator opens ({@link FromModel}).
 *
 * <p>Stability: public, evolving (may gain kinds).
 */
public sealed interface Alerts extends Serializable {
    /** No alerts. */
    record Off() implements Alerts {
    }

    /** Lines (or paragraphs) whose score is strictly above the threshold. */
    record At(AlertThreshold threshold) implements Alerts {
    }

    /** As {@code spec} says against the model's calibration, resolved where the model is (a cluster's TaskManagers). */
    record FromModel(String spec) implements Alerts {
    }

    /**
     * {@code spec} as {@code --alert-threshold} takes it ({@code null}: p99.9 when the model has a calibration, else
     * off; {@code off}; {@code pNN}; nats per token), resolved now when this machine sees {@code modelDir}.
     * Throws when it cannot be resolved (a quantile without a calibration, a malformed value).
     */
    static Alerts resolve(String spec, Path modelDir) {
        return resolve(spec, modelDir, SegmentKind.LINE);
    }

    /** {@link #resolve(String, Path)} for segments of {@code kind} (a quantile: of the calibration's norms of that kind). */
    static Alerts resolve(String spec, Path modelDir, SegmentKind kind) {
        if (spec != null && spec.trim().toLowerCase(Locale.ROOT).equals("off")) {
            return new Off();
        }
        if (!Files.isDirectory(modelDir)) {
            return new FromModel(spec);
        }
        return AlertThreshold.resolve(spec, modelDir, kind).<Alerts>map(At::new).orElseGet(Off::new);
    }

    /** The threshold to apply to lines, with the model at {@code modelDir} (only {@link FromModel} reads it). */
    default Optional<AlertThreshold> threshold(Path modelDir) {
        return threshold(modelDir, SegmentKind.LINE);
    }

    /**
     * The threshold to apply to segments of {@code kind}; a threshold resolved for another kind's norms is refused
     * (its score would be on the wrong scale).
     */
    default Optional<AlertThreshold> threshold(Path modelDir, SegmentKind kind) {
        if (this instanceof At a) {
            if (a.threshold().lengthAware() && a.threshold().norms().kind() != kind) {
                throw new IllegalArgumentException("the alert threshold " + a.threshold().name() + " is on " + a.threshold().norms().kind().label()
                        + " scores, but " + kind.label() + "s are scored: resolve it for " + kind.label() + "s");
            }
            return Optional.of(a.threshold());
        }
        if (this instanceof FromModel m) {
            return AlertThreshold.resolve(m.spec(), modelDir, kind);
        }
        return Optional.empty();
    }

    /** Whether lines may alert (for {@link FromModel}: unless the TaskManagers' model has no calibration). */
    default boolean enabled() {
        return !(this instanceof Off);
    }

    /** For a status line: "above p99.9 = 1.2472 nats/token", "off", or where it will be resolved. */
    default String describe() {
        if (this instanceof At a) {
            return String.format(Locale.ROOT, "above %s = %.4f %s", a.threshold().name(), a.threshold().value(), a.threshold().unit());
        }
        return this instanceof Off ? "off" : "as the TaskManagers' model calibration says";
    }
}
