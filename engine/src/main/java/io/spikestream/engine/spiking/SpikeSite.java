package io.spikestream.engine.spiking;

/**
 * One place in a W8ASpike model where activations become spikes, counted once however many projections
 * read them (REFERENCE.md, "Spike statistics").
 *
 * @param layer         decoder layer
 * @param kind          which activation
 * @param width         features per token
 * @param consumerRows  output rows of the projections that read these spikes (each spike is one add per row);
 *                      0 for the SWA query, which is read by attention scores rather than a projection
 */
public record SpikeSite(int layer, Kind kind, int width, long consumerRows) {
    public enum Kind {
        /** The attention input, shared by q, k, v (and the GLA gate). */
        ATTENTION_INPUT,
        /** The input of o_proj. */
        OUTPUT_PROJECTION_INPUT,
        /** The MLP input, shared by gate_proj and up_proj. */
        MLP_INPUT,
        /** The SWA query after RoPE, spiked per head. */
        QUERY
    }
}
