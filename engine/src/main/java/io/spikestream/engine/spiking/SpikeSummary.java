package io.spikestream.engine.spiking;

/**
 * Spike statistics over some tokens (REFERENCE.md, "Spike statistics"), as the {@code spikes} command, the
 * {@code CHUNK} enrichment and the operator's metrics report them.
 *
 * @param tokens                 tokens covered
 * @param activations            spiked activations counted
 * @param zeroFraction           share of counts that are 0
 * @param meanAbs                mean |s|
 * @param meanBitwise            mean number of 1-bits of |s| (spikes per activation under bitwise coding)
 * @param maxAbs                 largest |s|
 * @param silentChannelFraction  share of channels (site, feature) whose count is 0 for every covered token
 * @param spikingPicojoulesPerToken energy estimate of the spiking model (see {@link EnergyModel})
 * @param densePicojoulesPerToken   the same model as dense FP16
 */
public record SpikeSummary(long tokens, long activations, double zeroFraction, double meanAbs, double meanBitwise, long maxAbs,
                           double silentChannelFraction, double spikingPicojoulesPerToken, double densePicojoulesPerToken) {
}
