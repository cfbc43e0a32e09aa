package io.spikestream.engine.model;

import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.spiking.Spikes;

/**
 * The input of one or more projections: n tokens of {@code width} activations. A spiking projection asks
 * for its spikes, which are encoded once and shared by every projection that reads the same input (q, k,
 * v and the GLA gate; gate_proj and up_proj), and counted once in the pass's statistics.
 */
public final class LinearInput {
    private final float[] values;
    private final int tokens;
    private final int width;
    private final SpikeStatistics statistics;
    private final int site;
    private Spikes spikes;

    /**
     * @param statistics where the spikes are counted (null: not counted)
     * @param site       the site index in {@code statistics}
     */
    public LinearInput(float[] values, int tokens, int width, SpikeStatistics statistics, int site) {
        this.values = values;
        this.tokens = tokens;
        this.width = width;
        this.statistics = statistics;
        this.site = site;
    }

    public float[] values() {
        return values;
    }

    public int tokens() {
        return tokens;
    }

    public int width() {
        return width;
    }

    /** The adaptive-threshold spikes of the activations, encoded on first use. */
    public Spikes spikes() {
        if (spikes == null) {
            spikes = Spikes.encode(values, tokens, width);
            if (statistics != null) {
                statistics.record(site, spikes);
            }
        }
        return spikes;
    }
}
