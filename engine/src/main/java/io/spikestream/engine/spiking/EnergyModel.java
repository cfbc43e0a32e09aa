package io.spikestream.engine.spiking;

/**
 * The energy estimate of the SpikingBrain report (45 nm figures it cites): a dense FP16 multiply-accumulate
 * costs 1.5 pJ; on event-driven hardware a spike meets each weight of the row it feeds as one INT8 add of
 * 0.03 pJ. Spikes are counted under bitwise coding (the number of 1-bits of |s|), the cheapest of the
 * report's codings.
 *
 * @param denseMacsPerToken  multiply-accumulates of every linear projection and lm_head for one token
 * @param floatMacsPerToken  those that stay dense in the spiking model (down_proj, lm_head)
 */
public record EnergyModel(long denseMacsPerToken, long floatMacsPerToken) {
    public static final double FP16_MAC_PJ = 1.5;
    public static final double INT8_MAC_PJ = 0.23;
    public static final double SPIKE_ADD_PJ = 0.03;

    /** pJ per token of the dense FP16 model. */
    public double densePicojoulesPerToken() {
        return denseMacsPerToken * FP16_MAC_PJ;
    }

    /** pJ per token of the spiking model, given the spike events × consumer rows counted over {@code tokens}. */
    public double spikingPicojoulesPerToken(double spikeAdds, long tokens) {
        if (tokens == 0) {
            return 0;
        }
        return spikeAdds * SPIKE_ADD_PJ / tokens + floatMacsPerToken * FP16_MAC_PJ;
    }
}
