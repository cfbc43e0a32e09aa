package io.spikestream.engine.model;

import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.spiking.Spikes;

/**
 * The input of one or more projections: n tokens of {@code width} activations, from token {@code first} of
 * {@code values} (a block of a pass; outputs go to the same token rows). A spiking projection asks
 * for its spikes, which are encoded once and shared by every projection that reads the same input (q, k,
 * v and the GLA gate; gate_proj and up_proj), and counted once in the pass's statistics.
 */
public final class LinearInput {
    private final float[] values;
    private final int first;
    private final int tokens;
    private final int width;
    private final SpikeStatistics statistics;
    private final int site;
    private Spikes spikes;

    /**
     * @param statistics where the spikes are counted (null: not counted)
     * @param site       the site index in {@code statistics}
     */
    public LinearInput(float[] values, int first, int tokens, int width, SpikeStatistics statistics, int site) {
        this.values = values;
        this.first = first;
        this.tokens = tokens;
        this.width = width;
        this.statistics = statistics;
        this.site = site;
    }

    public float[] values() {
        return values;
    }

    /** The first token's row in {@link #values()} (and in the outputs). */
    public int first() {
        return first;
    }

    public int tokens() {
        return tokens;
    }

    public int width() {
        return width;
    }

    /** The adaptive-threshold spikes of the activations, encoded on first use. */
    public Spikes spikes() {
        if (first != 0) {
            // Spiking models share passes among threads by rows, never by blocks of tokens.
            throw new IllegalStateException("spikes are encoded for whole passes, not for tokens from " + first);
        }
        if (spikes == null) {
            spikes = Spikes.encode(values, tokens, width);
            if (statistics != null) {
                statistics.record(site, spikes);
            }
        }
        return spikes;
    }
}
