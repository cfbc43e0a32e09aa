package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.Rope;
import io.spikestream.engine.spiking.KvQuantizer;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.spiking.Spikes;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;
import io.spikestream.engine.state.KvWindow;
import io.spikestream.engine.state.QuantizedKvWindow;

/**
 * Softmax attention with RoPE over a window of W positions (gla_swa's SWA layers) or the whole document (the
 * full-attention baseline). In a W8ASpike model ({@code quantized}) the query after RoPE is spiked per token and
 * head and the keys and values are quantized per token and key/value head to int8, attended to as code · scale
 * and stored as codes (REFERENCE.md).
 *
 * @param querySite the spike site of the query in the pass's statistics (W8ASpike), else -1
 */
record WindowMixer(int window, boolean quantized, int querySite, int numHeads, int kvHeads, int headDim) implements TokenMixer {
    WindowMixer(Configuration c, int window, boolean quantized, int querySite) {
        this(window, quantized, querySite, c.numHeads(), c.numKvHeads(), c.headDim());
    }

    @Override
    public LayerKind kind() {
        return window == KeyValueWindow.UNBOUNDED ? LayerKind.FULL_ATTENTION : LayerKind.SWA;
    }

    @Override
    public void prepare(AttentionWeights aw, LinearInput in, PassBuffers b, Rope rope, int t0, int t1, Parallel parallel) {
        b.rotate(rope, b.q, b.k, t0, t1);
    }

    @Override
    public void mix(AttentionWeights aw, DocumentState state, int layer, long p0, int n, PassBuffers b, SpikeStatistics spikes,
                    Parallel parallel) {
        if (state.window(layer) instanceof QuantizedKvWindow q) {
            spiking(q, p0, n, b, spikes, parallel);
        } else {
            WindowAttention.forward((KvWindow) state.window(layer), p0, n, b.q, b.k, b.v, numHeads, headDim, b.mixed, parallel);
        }
    }

    private void spiking(QuantizedKvWindow w, long p0, int n, PassBuffers b, SpikeStatistics spikes, Parallel parallel) {
        int d = headDim;
        Spikes query = Spikes.encode(b.q, n, numHeads * d, d);
        if (spikes != null) {
            spikes.record(querySite, query);
        }
        byte[] keyCodes = new byte[b.k.length];
        byte[] valueCodes = new byte[b.v.length];
        float[] keyScales = new float[n * kvHeads];
        float[] valueScales = new float[n * kvHeads];
        KvQuantizer.quantize(b.k, n, kvHeads, d, keyCodes, keyScales);
        KvQuantizer.quantize(b.v, n, kvHeads, d, valueCodes, valueScales);
        SpikingWindowAttention.forward(w, p0, n, query, keyCodes, keyScales, valueCodes, valueScales, numHeads, d, b.mixed, parallel);
        long first = Math.max(p0, p0 + n - w.window());
        for (long p = first; p < p0 + n; p++) {
            w.put(p, keyCodes, keyScales, valueCodes, valueScales, (int) (p - p0));
        }
    }

    @Override
    public GlaState newLinearState() {
        return null;
    }

    @Override
    public KeyValueWindow newWindow() {
        int kvDim = kvHeads * headDim;
        return quantized ? new QuantizedKvWindow(window, kvDim, headDim) : new KvWindow(window, kvDim);
    }

    @Override
    public long growingBytesPerToken() {
        return window == KeyValueWindow.UNBOUNDED ? 8L * kvHeads * headDim : 0;
    }
}
