package io.spikestream.engine.spiking;

import java.util.BitSet;
import java.util.List;

/**
 * Counts the spikes of a forward pass (or of many, merged): every spiked activation once, per site and
 * token. Silent channels are tracked per (site, feature) over all tokens counted. Not thread-safe: one
 * forward pass records into it on its calling thread.
 */
public final class SpikeStatistics {
    private final List<SpikeSite> sites;
    private final EnergyModel energy;
    private final BitSet[] active;
    private final boolean[] seen;
    private long tokens;
    private long activations;
    private long zeros;
    private long sumAbs;
    private long sumBits;
    private long maxAbs;
    private double spikeAdds;
    private double weightedZeros;
    private double weightedActivations;
    /** Per site: activations, zeros, Σ|s|, Σ bits, max |s|. */
    private final long[][] perSite;

    public SpikeStatistics(List<SpikeSite> sites, EnergyModel energy) {
        this.sites = List.copyOf(sites);
        this.energy = energy;
        this.active = new BitSet[sites.size()];
        this.seen = new boolean[sites.size()];
        this.perSite = new long[sites.size()][5];
        for (int i = 0; i < active.length; i++) {
            active[i] = new BitSet(sites.get(i).width());
        }
    }

    public List<SpikeSite> sites() {
        return sites;
    }

    /** Counts n more tokens (called once per forward pass, whatever the number of sites). */
    public void addTokens(int n) {
        tokens += n;
    }

    /** Records the spikes of site {@code site} (an index into {@link #sites()}). */
    public void record(int site, Spikes spikes) {
        SpikeSite s = sites.get(site);
        if (spikes.width() != s.width()) {
            throw new IllegalArgumentException("site " + s + " has width " + s.width() + ", spikes have " + spikes.width());
        }
        float[] counts = spikes.counts();
        BitSet on = active[site];
        seen[site] = true;
        int width = s.width();
        long bits = 0;
        long zerosBefore = zeros;
        long absBefore = sumAbs;
        long siteMax = 0;
        for (int t = 0; t < spikes.tokens(); t++) {
            int base = t * width;
            for (int i = 0; i < width; i++) {
                long a = (long) Math.abs((double) counts[base + i]);
                if (a == 0) {
                    zeros++;
                } else {
                    on.set(i);
                    sumAbs += a;
                    int b = Long.bitCount(a);
                    bits += b;
                    siteMax = Math.max(siteMax, a);
                }
            }
        }
        sumBits += bits;
        maxAbs = Math.max(maxAbs, siteMax);
        activations += (long) spikes.tokens() * width;
        long[] mine = perSite[site];
        mine[0] += (long) spikes.tokens() * width;
        mine[1] += zeros - zerosBefore;
        mine[2] += sumAbs - absBefore;
        mine[3] += bits;
        mine[4] = Math.max(mine[4], siteMax);
        spikeAdds += (double) bits * s.consumerRows();
        weightedZeros += (double) (zeros - zerosBefore) * s.consumerRows();
        weightedActivations += (double) spikes.tokens() * width * s.consumerRows();
    }

    /** Adds another statistics object of the same model (e.g. the next chunk). */
    public void merge(SpikeStatistics o) {
        if (!o.sites.equals(sites)) {
            throw new IllegalArgumentException("spike statistics of different models cannot be merged");
        }
        tokens += o.tokens;
        activations += o.activations;
        zeros += o.zeros;
        sumAbs += o.sumAbs;
        sumBits += o.sumBits;
        maxAbs = Math.max(maxAbs, o.maxAbs);
        spikeAdds += o.spikeAdds;
        weightedZeros += o.weightedZeros;
        weightedActivations += o.weightedActivations;
        for (int i = 0; i < active.length; i++) {
            active[i].or(o.active[i]);
            seen[i] |= o.seen[i];
            for (int f = 0; f < 4; f++) {
                perSite[i][f] += o.perSite[i][f];
            }
            perSite[i][4] = Math.max(perSite[i][4], o.perSite[i][4]);
        }
    }

    public long tokens() {
        return tokens;
    }

    public long activations() {
        return activations;
    }

    /**
     * Share of the weight rows×columns a spike-driven projection skips because the input's count is 0: the
     * zero fraction weighted by the rows each site feeds.
     */
    public double skippedFraction() {
        return weightedActivations == 0 ? 0 : weightedZeros / weightedActivations;
    }

    /** The statistics of one site (energy fields: its share of spike adds only, no float part). */
    public SpikeSummary siteSummary(int site) {
        long[] m = perSite[site];
        double n = Math.max(1, m[0]);
        int width = sites.get(site).width();
        double silent = seen[site] ? (double) (width - active[site].cardinality()) / width : 0;
        double adds = (double) m[3] * sites.get(site).consumerRows();
        return new SpikeSummary(tokens, m[0], m[1] / n, m[2] / n, m[3] / n, m[4], silent,
                tokens == 0 ? 0 : adds * EnergyModel.SPIKE_ADD_PJ / tokens, 0);
    }

    /** The statistics so far. */
    public SpikeSummary summary() {
        long channels = 0;
        long silent = 0;
        for (int i = 0; i < active.length; i++) {
            if (seen[i]) {
                channels += sites.get(i).width();
                silent += sites.get(i).width() - active[i].cardinality();
            }
        }
        double n = Math.max(1, activations);
        return new SpikeSummary(tokens, activations, zeros / n, sumAbs / n, sumBits / n, maxAbs,
                channels == 0 ? 0 : (double) silent / channels,
                energy.spikingPicojoulesPerToken(spikeAdds, tokens), energy.densePicojoulesPerToken());
    }
}
