package io.spikestream.trainer.model;

import java.util.Locale;

/**
 * Arithmetic of the training passes. The optimizer, its moments and the master weights stay float64 in
 * every case (a few hundred thousand updates per step: under 1% of its time); what changes is the forward and
 * backward passes, where all the time goes.
 */
public enum Precision {
    /** Vector-API float32 passes (io.spikestream.trainer.float32) on float32 copies of the weights. */
    FLOAT32,
    /** The float32 passes on the weights rounded to bfloat16, exactly what a bf16 checkpoint of them holds. */
    BF16,
    /** The float64 reference passes ({@link TrainingModel}). */
    FLOAT64;

    public static Precision parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "float32", "f32", "fp32" -> FLOAT32;
            case "bf16", "bfloat16" -> BF16;
            case "float64", "f64", "fp64" -> FLOAT64;
            default -> throw new IllegalArgumentException("--precision must be float32, bf16 or float64, got " + s);
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
