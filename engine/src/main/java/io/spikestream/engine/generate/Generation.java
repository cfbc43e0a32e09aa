package io.spikestream.engine.generate;

/**
 * Generated tokens.
 *
 * @param tokens    the generated ids (an end-of-sequence id, if reached, is included last)
 * @param logProbs  log-probability of each generated token under the model (before temperature)
 * @param stoppedAtEos whether generation ended on an end-of-sequence token rather than the token limit
 */
public record Generation(int[] tokens, double[] logProbs, boolean stoppedAtEos) {
}
