package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.kernels.RmsNorm;
import io.spikestream.engine.kernels.Rope;
import io.spikestream.engine.safetensors.Checkpoint;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.spiking.EnergyModel;
import io.spikestream.engine.spiking.SpikeSite;
import io.spikestream.engine.spiking.SpikeStatistics;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.GlaState;
import io.spikestream.engine.state.KeyValueWindow;
import io.spikestream.engine.state.QuantizedKvWindow;
import io.spikestream.engine.tensor.Matrix;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A gla_swa or spikingbrain_moe model: configuration, weights, and the forward pass of REFERENCE.md over a chunk
 * of tokens, as a composition of parts — per layer a {@link TokenMixer} (GLA and sliding-window layers for
 * gla_swa, hybrid layers for spikingbrain_moe) and a {@link FeedForward} (a SwiGLU, or a mixture of experts):
 *
 * <pre>
 * x = embeddings[token]
 * for each layer: a = RMSNorm(x); r = x + o_proj(mix(a)); m = RMSNorm(r); x = r + ffn(m)
 * logits = lm_head(RMSNorm(x))
 * </pre>
 * A chunk is processed as matrix-matrix products (each weight matrix streamed once per pass, or once per
 * block of tokens when a small model's threads take blocks of tokens: see {@link Pass}); results are the same
 * bits for any chunking of a document and any thread count. Instances are immutable and may be
 * shared by threads; the mutable part of a document lives in its {@link DocumentState}.
 *
 * <p>A W8ASpike model ({@link Weights#spiking()}) differs only where REFERENCE.md says so: its projections
 * are {@link SpikingLinear}s (spikes shared per input), its GLA gate is dense, and its sliding-window layers
 * spike the query after RoPE per head and attend to int8 keys and values, which their
 * {@link QuantizedKvWindow} stores. Every spiked activation is counted in the pass's {@link SpikeStatistics}.
 */
public final class Model implements AutoCloseable {
    /** Largest number of tokens in one internal pass; longer inputs are cut (results do not change). */
    public static final int MAX_PASS_TOKENS = 256;
    /** Fewest tokens in a block when a small model's pass is shared among threads by tokens. */
    private static final int TOKEN_GRAIN = 16;

    private final Configuration config;
    private final Weights weights;
    /** One per layer: the model's composition of token mixers. */
    private final TokenMixer[] mixers;
    private final ModelFingerprint fingerprint;
    private final Rope rope;
    private final Checkpoint checkpoint;
    private final boolean spiking;
    /** Spike sites (indices into {@link #sites}) per layer: attention input, o_proj input, MLP input, SWA query. */
    private final int[] attentionSite;
    private final int[] outputSite;
    private final int[] mlpSite;
    private final int[] querySite;
    private final List<SpikeSite> sites;
    private final EnergyModel energy;
    /** Whether passes share per-token steps among threads by blocks of tokens (see {@link Pass}). */
    private final boolean shareTokens;
    /** spikingbrain_moe's constants (the sinks through every layer), or null. */
    private final SinkPrefix sinks;
    /** The widest hidden activation of any feed-forward part. */
    /** The layers' feed-forward parts (what a pass's scratch must hold). */
    private final List<FeedForward> ffns;

    private Model(Configuration config, Weights weights, LayerKind[] kinds, ModelFingerprint fingerprint, Checkpoint checkpoint) {
        this.config = config;
        this.weights = weights;
        this.fingerprint = fingerprint;
        this.rope = new Rope(config.headDim(), config.ropeTheta());
        this.checkpoint = checkpoint;
        this.spiking = weights.spiking();
        int layers = kinds.length;
        this.attentionSite = new int[layers];
        this.outputSite = new int[layers];
        this.mlpSite = new int[layers];
        this.querySite = new int[layers];
        List<SpikeSite> s = new ArrayList<>();
        long dense = (long) config.vocabSize() * config.hiddenSize();
        long floatMacs = dense;
        for (int i = 0; i < layers && config.moe() != null; i++) {
            // MACs per token (a token's routed experts only); spiked: every projection but the down projections,
            // one site per input shared by the projections that read it (both branches; the router and the experts)
            LayerWeights lw = weights.layers().get(i);
            AttentionWeights aw = lw.attention();
            SoftmaxBranch sa = aw.softmax();
            long ffnMacs = lw.ffn().macsPerToken();
            long downMacs = lw.ffn().downMacsPerToken();
            dense += macs(aw.q()) + macs(aw.k()) + macs(aw.v()) + macs(aw.o()) + sa.macsPerToken() + ffnMacs;
            floatMacs += downMacs;
            long attnRows = aw.q().rows() + aw.k().rows() + aw.v().rows() + sa.q().rows() + sa.k().rows() + sa.v().rows();
            attentionSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.ATTENTION_INPUT, config.hiddenSize(), attnRows));
            outputSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.OUTPUT_PROJECTION_INPUT, aw.o().cols(), aw.o().rows()));
            mlpSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.MLP_INPUT, config.hiddenSize(), (ffnMacs - downMacs) / config.hiddenSize()));
            querySite[i] = -1;
        }
        for (int i = 0; i < layers && config.moe() == null; i++) {
            LayerWeights lw = weights.layers().get(i);
            AttentionWeights aw = lw.attention();
            long attnRows = aw.q().rows() + aw.k().rows() + aw.v().rows()
                    + (kinds[i] == LayerKind.GLA && aw.gate() instanceof GlaGate.Dense gd ? gd.rows() : 0);
            attentionSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.ATTENTION_INPUT, aw.q().cols(), attnRows));
            outputSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.OUTPUT_PROJECTION_INPUT, aw.o().cols(), aw.o().rows()));
            mlpSite[i] = add(s, new SpikeSite(i, SpikeSite.Kind.MLP_INPUT, lw.gateProj().cols(),
                    lw.gateProj().rows() + lw.upProj().rows()));
            querySite[i] = kinds[i] == LayerKind.SWA
                    ? add(s, new SpikeSite(i, SpikeSite.Kind.QUERY, config.numHeads() * config.headDim(), 0)) : -1;
            dense += macs(aw.q()) + macs(aw.k()) + macs(aw.v()) + macs(aw.o()) + macs(lw.gateProj()) + macs(lw.upProj())
                    + (long) lw.downProj().rows() * lw.downProj().cols();
            if (kinds[i] == LayerKind.GLA && aw.gate() instanceof GlaGate.LowRank lr) {
                dense += (long) lr.down().rows() * lr.down().cols() + (long) lr.up().rows() * lr.up().cols();
            } else if (kinds[i] == LayerKind.GLA && aw.gate() instanceof GlaGate.Dense gd) {
                dense += macs(gd.linear());
            }
            floatMacs += (long) lw.downProj().rows() * lw.downProj().cols();
        }
        this.sites = List.copyOf(s);
        this.energy = new EnergyModel(dense, floatMacs);
        this.shareTokens = smallFloatModel(weights);
        this.ffns = weights.layers().stream().map(LayerWeights::ffn).toList();
        this.sinks = config.moe() == null ? null : SinkPrefix.compute(config, weights, rope, Parallel.SERIAL);
        this.mixers = new TokenMixer[layers];
        for (int i = 0; i < layers; i++) {
            mixers[i] = switch (kinds[i]) {
                case GLA -> new GlaMixer(config);
                case SWA -> new WindowMixer(config, config.slidingWindow(), spiking, querySite[i]);
                case FULL_ATTENTION -> new WindowMixer(config, KeyValueWindow.UNBOUNDED, false, -1);
                case HYBRID -> new HybridMixer(config, i, sinks);
            };
        }
    }

    /**
     * A float model whose every matrix is held as floats: each thread can afford to stream all of them for
     * its tokens (they stay in its caches), where a large model's matrices must be shared by rows.
     */
    private static boolean smallFloatModel(Weights weights) {
        if (weights.spiking() || !weights.lmHead().keepsFloats()) {
            return false;
        }
        for (LayerWeights lw : weights.layers()) {
            AttentionWeights aw = lw.attention();
            List<Linear> linears = new ArrayList<>(List.of(aw.q(), aw.k(), aw.v(), aw.o()));
            List<Matrix> matrices = new ArrayList<>();
            if (aw.gate() instanceof GlaGate.Dense gd) {
                linears.add(gd.linear());
            }
            if (aw.gate() instanceof GlaGate.LowRank lr) {
                matrices.addAll(List.of(lr.down(), lr.up()));
            }
            if (aw.softmax() != null) {
                linears.addAll(List.of(aw.softmax().q(), aw.softmax().k(), aw.softmax().v()));
            }
            List<FeedForward.SwiGlu> swiGlus = new ArrayList<>();
            if (lw.ffn() instanceof FeedForward.SwiGlu sg) {
                swiGlus.add(sg);
            } else if (lw.ffn() instanceof FeedForward.MixtureOfExperts moe) {
                swiGlus.addAll(moe.experts());
                swiGlus.addAll(moe.shared());
                linears.add(moe.router());
            }
            for (FeedForward.SwiGlu sg : swiGlus) {
                linears.addAll(List.of(sg.gate(), sg.up()));
                matrices.add(sg.down());
            }
            for (Linear l : linears) {
                if (!(l instanceof DenseLinear dl) || !dl.weight().keepsFloats()) {
                    return false;
                }
            }
            for (Matrix m : matrices) {
                if (!m.keepsFloats()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static int add(List<SpikeSite> sites, SpikeSite site) {
        sites.add(site);
        return sites.size() - 1;
    }

    private static long macs(Linear l) {
        return (long) l.rows() * l.cols();
    }

    /** A model from weights built in memory (post-training quantization, benchmarks). */
    public static Model fromWeights(Configuration config, Weights weights, ModelFingerprint fingerprint) {
        return new Model(config, weights, kindsOf(config), fingerprint, null);
    }

    /** Loads {@code config.json} and the safetensors weights of a model directory (memory-mapped). */
    public static Model load(Path dir) {
        Configuration config = Configuration.load(dir);
        Checkpoint checkpoint = Checkpoint.open(dir);
        try {
            WeightsLoader.Loaded loaded = WeightsLoader.load(checkpoint, config);
            return new Model(config, loaded.weights(), kindsOf(config), ModelFingerprint.of(config, loaded.tensors()), checkpoint);
        } catch (RuntimeException e) {
            try {
                checkpoint.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** A model with random weights of the given format (benchmarks, tests): same seed, same weights. */
    public static Model generate(Configuration config, DType dtype, long seed) {
        if (config.moe() != null) {
            return generateMoe(config, dtype, seed);
        }
        int h = config.hiddenSize();
        int d = config.headDim();
        int qDim = config.numHeads() * d;
        int kvDim = config.numKvHeads() * d;
        int inter = config.intermediateSize();
        int rank = config.gateLowRankDim();
        long[] next = {seed * 1000};
        Matrix embeddings = Matrix.random(dtype, config.vocabSize(), h, next[0]++, 1f);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            boolean gla = !config.isAttentionLayer(i);
            Linear q = dense(randomMatrix(dtype, qDim, h, next));
            float[] qBias = randomVector(qDim, next, 0.1f, 0f);
            Linear k = dense(randomMatrix(dtype, kvDim, h, next));
            float[] kBias = randomVector(kvDim, next, 0.1f, 0f);
            Linear v = dense(randomMatrix(dtype, kvDim, h, next));
            float[] vBias = randomVector(kvDim, next, 0.1f, 0f);
            Linear o = dense(randomMatrix(dtype, h, qDim, next));
            GlaGate gate = null;
            if (gla) {
                Matrix down = randomMatrix(dtype, rank, h, next);
                Matrix upGate = randomMatrix(dtype, kvDim, rank, next);
                gate = new GlaGate.LowRank(down, upGate, randomVector(kvDim, next, 1f, 2f));
            }
            float[] gNorm = gla ? randomVector(d, next, 0.1f, 1f) : null;
            AttentionWeights attention = new AttentionWeights(q, qBias, k, kBias, v, vBias, o, gate, gNorm);
            layers.add(new LayerWeights(randomVector(h, next, 0.1f, 1f), attention, randomVector(h, next, 0.1f, 1f),
                    dense(randomMatrix(dtype, inter, h, next)), dense(randomMatrix(dtype, inter, h, next)),
                    randomMatrix(dtype, h, inter, next)));
        }
        float[] norm = randomVector(h, next, 0.1f, 1f);
        Matrix lmHead = config.tieWordEmbeddings() ? embeddings : randomMatrix(dtype, config.vocabSize(), h, next);
        Weights weights = new Weights(embeddings, layers, norm, lmHead);
        return new Model(config, weights, kindsOf(config), ModelFingerprint.ofGenerated(config, dtype.name(), seed), null);
    }

    /** {@link #generate} for the spikingbrain_moe layout. */
    private static Model generateMoe(Configuration config, DType dtype, long seed) {
        MoeLayout moe = config.moe();
        int h = config.hiddenSize();
        int d = config.headDim();
        int qDim = config.numHeads() * d;
        int kvDim = config.numKvHeads() * d;
        long[] next = {seed * 1000};
        Matrix embeddings = Matrix.random(dtype, config.vocabSize(), h, next[0]++, 1f);
        Matrix sinks = moe.sinkTokens() == 0 ? null : Matrix.random(dtype, moe.sinkTokens(), h, next[0]++, 1f);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            SoftmaxBranch sa = new SoftmaxBranch(dense(randomMatrix(dtype, qDim, h, next)), randomVector(qDim, next, 0.1f, 0f),
                    dense(randomMatrix(dtype, kvDim, h, next)), randomVector(kvDim, next, 0.1f, 0f),
                    dense(randomMatrix(dtype, kvDim, h, next)), randomVector(kvDim, next, 0.1f, 0f), randomVector(d, next, 0.1f, 1f));
            AttentionWeights attention = new AttentionWeights(dense(randomMatrix(dtype, qDim, h, next)), randomVector(qDim, next, 0.1f, 0f),
                    dense(randomMatrix(dtype, kvDim, h, next)), randomVector(kvDim, next, 0.1f, -2f),
                    dense(randomMatrix(dtype, kvDim, h, next)), randomVector(kvDim, next, 0.1f, 0f),
                    dense(randomMatrix(dtype, h, qDim, next)), null, randomVector(d, next, 0.1f, 1f), sa);
            FeedForward ffn;
            if (moe.isDenseLayer(i)) {
                ffn = randomSwiGlu(dtype, h, config.intermediateSize(), next);
            } else {
                List<FeedForward.SwiGlu> experts = new ArrayList<>();
                for (int e = 0; e < moe.experts(); e++) {
                    experts.add(randomSwiGlu(dtype, h, moe.expertWidth(), next));
                }
                List<FeedForward.SwiGlu> shared = new ArrayList<>();
                for (int j = 0; j < moe.sharedExperts(); j++) {
                    shared.add(randomSwiGlu(dtype, h, moe.sharedWidth(), next));
                }
                ffn = new FeedForward.MixtureOfExperts(dense(randomMatrix(dtype, moe.experts(), h, next)), experts, moe.expertsPerToken(), shared);
            }
            layers.add(new LayerWeights(randomVector(h, next, 0.1f, 1f), attention, randomVector(h, next, 0.1f, 1f), ffn));
        }
        float[] norm = randomVector(h, next, 0.1f, 1f);
        Matrix lmHead = config.tieWordEmbeddings() ? embeddings : randomMatrix(dtype, config.vocabSize(), h, next);
        return new Model(config, new Weights(embeddings, layers, norm, lmHead, sinks), kindsOf(config),
                ModelFingerprint.ofGenerated(config, dtype.name(), seed), null);
    }

    private static FeedForward.SwiGlu randomSwiGlu(DType dtype, int h, int width, long[] next) {
        return new FeedForward.SwiGlu(dense(randomMatrix(dtype, width, h, next)), dense(randomMatrix(dtype, width, h, next)),
                randomMatrix(dtype, h, width, next));
    }

    private static Linear dense(Matrix m) {
        return new DenseLinear(m);
    }

    private static Matrix randomMatrix(DType dtype, int rows, int cols, long[] next) {
        return Matrix.random(dtype, rows, cols, next[0]++, (float) Math.sqrt(3.0 / cols));
    }

    private static float[] randomVector(int n, long[] next, float spread, float center) {
        long s = next[0]++;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = center + spread * Matrix.uniform(s, i);
        }
        return v;
    }

    private static LayerKind[] kindsOf(Configuration config) {
        LayerKind[] kinds = new LayerKind[config.numLayers()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = config.moe() != null ? LayerKind.HYBRID : config.isAttentionLayer(i) ? LayerKind.SWA : LayerKind.GLA;
        }
        return kinds;
    }

    /**
     * Bytes a decode step reads from the weights: the decoder layers' projections (codes and scales; a GLA gate
     * only in a GLA layer), the final norm and lm_head — not the embedding table, of which a step reads one row.
     */
    public long decodeBytesPerToken() {
        long total = weights.layerBytes() + 4L * weights.norm().length + weights.lmHead().storedBytes();
        for (int i = 0; i < mixers.length; i++) {
            LayerWeights lw = weights.layers().get(i);
            AttentionWeights a = lw.attention();
            if (mixers[i].kind() != LayerKind.GLA && a.hasGate()) {
                total -= a.gate().storedBytes(); // held (the baseline keeps the gla_swa weights), never read
            }
            total -= lw.ffn().storedBytes() - lw.ffn().bytesPerToken(); // experts a token is not routed to
        }
        return total;
    }

    /**
     * The same weights with every layer of one kind: {@link LayerKind#FULL_ATTENTION} is the Transformer
     * baseline of the benchmark (GLA layers' q/k/v/o used as softmax attention with RoPE).
     */
    public Model withAllLayers(LayerKind kind) {
        if (config.moe() != null || kind == LayerKind.HYBRID) {
            throw new IllegalArgumentException("layer kinds can be swapped in gla_swa models only");
        }
        if (spiking && kind == LayerKind.FULL_ATTENTION) {
            throw new IllegalArgumentException("the full-attention baseline is defined for float models, not W8ASpike");
        }
        LayerKind[] all = new LayerKind[mixers.length];
        Arrays.fill(all, kind);
        if (kind == LayerKind.GLA) {
            for (LayerWeights l : weights.layers()) {
                if (!l.attention().hasGate()) {
                    throw new IllegalArgumentException("attention layers have no GLA gate weights");
                }
            }
        }
        byte[] fp = fingerprint.bytes();
        fp[0] ^= (byte) (kind.ordinal() + 1); // another architecture: states must not mix
        return new Model(config, weights, all, new ModelFingerprint(fp), null);
    }

    public Configuration config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    public LayerKind kind(int layer) {
        return mixers[layer].kind();
    }

    /**
     * Bytes a document's state grows by per token: the float keys and values of the layers that keep every
     * position (spikingbrain_moe's full-attention layers; every layer of the full-attention baseline), 0 for a
     * constant-size state.
     */
    public long growingStateBytesPerToken() {
        long total = 0;
        for (TokenMixer m : mixers) {
            total += m.growingBytesPerToken();
        }
        return total;
    }

    /** S: the sink rows before every document (0 for gla_swa). */
    public int sinkCount() {
        return sinks == null ? 0 : sinks.sinks();
    }

    public ModelFingerprint fingerprint() {
        return fingerprint;
    }

    /** Whether this is a W8ASpike (spiking) model. */
    public boolean spiking() {
        return spiking;
    }

    /** Where the model spikes (empty for a float model's statistics, which count nothing). */
    public List<SpikeSite> spikeSites() {
        return sites;
    }

    /** Whether a pass shares its per-token steps among threads by blocks of tokens (else each matrix by rows). */
    boolean sharesTokens() {
        return shareTokens;
    }

    public EnergyModel energyModel() {
        return energy;
    }

    /** An empty accumulator of this model's spike statistics. */
    public SpikeStatistics newSpikeStatistics() {
        return new SpikeStatistics(sites, energy);
    }

    /** The state of an empty document. */
    public DocumentState newState() {
        GlaState[] gla = new GlaState[mixers.length];
        KeyValueWindow[] windows = new KeyValueWindow[mixers.length];
        for (int i = 0; i < mixers.length; i++) {
            gla[i] = mixers[i].newLinearState();
            windows[i] = mixers[i].newWindow();
        }
        return new DocumentState(fingerprint, gla, windows, config.hiddenSize());
    }

    /**
     * What a forward pass returns.
     *
     * @param logProbs   per token, log p(token | everything before it); NaN for the document's first token
     * @param lastHidden final normalized hidden vector of the last token (an embedding of the document so far)
     * @param logits     n×V logits when requested, else null
     * @param spikes     the pass's spike statistics (W8ASpike models), else null
     */
    public record Result(double[] logProbs, float[] lastHidden, float[] logits, SpikeStatistics spikes) {
    }

    /**
     * Advances {@code state} by {@code n} tokens. The input is validated before anything changes: on an
     * error the state is untouched.
     */
    public Result forward(DocumentState state, int[] tokens, int offset, int n, boolean wantLogits, Parallel parallel) {
        checkInput(state, tokens, offset, n);
        int vocab = config.vocabSize();
        double[] logProbs = new double[n];
        float[] logits = wantLogits ? new float[Math.multiplyExact(n, vocab)] : null;
        SpikeStatistics spikes = spiking ? newSpikeStatistics() : null;
        PassBuffers buffers = new PassBuffers(config, Math.min(n, MAX_PASS_TOKENS), ffns);
        for (int done = 0; done < n; done += MAX_PASS_TOKENS) {
            int c = Math.min(MAX_PASS_TOKENS, n - done);
            float[] passLogits = wantLogits ? new float[c * vocab] : null;
            pass(state, tokens, offset + done, c, logProbs, done, passLogits, spikes, buffers, parallel);
            if (wantLogits) {
                System.arraycopy(passLogits, 0, logits, done * vocab, c * vocab);
            }
        }
        return new Result(logProbs, state.lastHidden().clone(), logits, spikes);
    }

    /** The full logits of the last token consumed (for generation). */
    public float[] nextLogits(DocumentState state) {
        checkState(state);
        if (state.position() == 0) {
            throw new IllegalStateException("an empty document predicts nothing: give at least one token");
        }
        float[] logits = new float[config.vocabSize()];
        MatMul.rows(weights.lmHead(), 0, config.vocabSize(), null, state.lastHidden(), 1, logits, config.vocabSize(), 0);
        return logits;
    }

    private void checkInput(DocumentState state, int[] tokens, int offset, int n) {
        checkState(state);
        if (n <= 0) {
            throw new IllegalArgumentException("empty input: at least one token is needed");
        }
        if (offset < 0 || offset + n > tokens.length) {
            throw new IllegalArgumentException("token range [" + offset + ", " + (offset + n) + ") outside an array of " + tokens.length);
        }
        for (int i = offset; i < offset + n; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + (i - offset)
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private void checkState(DocumentState state) {
        if (!state.model().equals(fingerprint)) {
            throw new IllegalArgumentException("this document state belongs to model " + state.model().shortHex()
                    + ", not to this model " + fingerprint.shortHex());
        }
    }

    private void pass(DocumentState state, int[] tokens, int offset, int n, double[] logProbs, int outOffset, float[] logits,
                      SpikeStatistics spikes, PassBuffers buffers, Parallel parallel) {
        if (spikes != null) {
            spikes.addTokens(n);
        }
        Pass p = new Pass(state, tokens, offset, n, logProbs, outOffset, logits, spikes, buffers);
        for (int i = 0; i < mixers.length; i++) {
            if (state.window(i) != null) {
                state.window(i).ensureCapacity(p.p0 + n);
            }
        }
        p.byTokens(parallel, (t0, t1, par) -> {
            p.embed(t0, t1);
            p.prepare(0, t0, t1, par);
        });
        for (int i = 0; i < mixers.length; i++) {
            p.mix(i, parallel);
            int layer = i;
            p.byTokens(parallel, (t0, t1, par) -> {
                p.finish(layer, t0, t1, par);
                if (layer + 1 < mixers.length) {
                    p.prepare(layer + 1, t0, t1, par);
                } else {
                    p.head(t0, t1, par);
                }
            });
        }
        // log p(token_0 | before): the previous pass's last logit for it minus its log-partition.
        logProbs[outOffset] = p.p0 == 0 ? Double.NaN
                : LanguageModelHead.logit(weights.lmHead(), state.lastHidden(), 0, tokens[offset]) - state.lastLogSumExp();
        state.advance(n, p.b.a, (n - 1) * config.hiddenSize(), p.lse[n - 1]);
    }

    /** Part of a pass over a token range [t0, t1), with the threads it may use. */
    @FunctionalInterface
    private interface Stage {
        void run(int t0, int t1, Parallel parallel);
    }

    /**
     * One pass's buffers and its steps. Between two sequence-mixing steps (GLA, window attention) every step
     * is per token, so a small model's pass runs each such stretch as one parallel region over blocks of
     * tokens — a handful of hand-offs per pass instead of one per kernel, and no serial step between them;
     * a large model's kernels share each matrix by rows instead. Either way every element is computed as the
     * kernels define it: the same bits.
     */
    private final class Pass {
        final DocumentState state;
        final int[] tokens;
        final int offset;
        final int n;
        final long p0;
        final double[] logProbs;
        final int outOffset;
        final float[] logits;
        final SpikeStatistics spikes;
        final int h = config.hiddenSize();
        final int d = config.headDim();
        final int qDim = config.numHeads() * d;
        final int kvDim = config.numKvHeads() * d;
        final double eps = config.normEps();
        final PassBuffers b;
        final double[] lse;

        Pass(DocumentState state, int[] tokens, int offset, int n, double[] logProbs, int outOffset, float[] logits,
             SpikeStatistics spikes, PassBuffers b) {
            this.state = state;
            this.tokens = tokens;
            this.offset = offset;
            this.n = n;
            this.p0 = state.position();
            this.logProbs = logProbs;
            this.outOffset = outOffset;
            this.logits = logits;
            this.spikes = spikes;
            this.b = b;
            lse = new double[n];
        }

        /** Runs a per-token stage: by blocks of tokens among the threads for a small float model, else whole. */
        void byTokens(Parallel parallel, Stage stage) {
            int tiles = (n + 3) / 4;
            if (shareTokens && parallel.threads() > 1 && tiles >= 2 * (TOKEN_GRAIN / 4)) {
                // Blocks of whole 4-token tiles; each block runs its kernels on its own thread. (Fewer tokens
                // than two blocks: the kernels share their rows instead.)
                parallel.forRange(tiles, TOKEN_GRAIN / 4, (u0, u1) -> stage.run(u0 * 4, Math.min(n, u1 * 4), Parallel.SERIAL));
            } else {
                stage.run(0, n, parallel);
            }
        }

        void embed(int t0, int t1) {
            for (int t = t0; t < t1; t++) {
                weights.embeddings().widenRow(tokens[offset + t], b.x, t * h);
                rope.angles(p0 + t + sinkCount(), b.cos, b.sin, t * d / 2);
            }
        }

        /** Layer i up to its sequence mixing: a = RMSNorm(x), q/k/v, and the GLA gate's log decays or RoPE. */
        void prepare(int i, int t0, int t1, Parallel par) {
            LayerWeights lw = weights.layers().get(i);
            AttentionWeights aw = lw.attention();
            RmsNorm.rows(b.x, lw.attnNorm(), eps, b.a, t0, t1, h, par);
            LinearInput attnIn = new LinearInput(b.a, t0, t1 - t0, h, spikes, attentionSite[i]);
            aw.q().apply(attnIn, aw.qBias(), b.q, par);
            aw.k().apply(attnIn, aw.kBias(), b.k, par);
            aw.v().apply(attnIn, aw.vBias(), b.v, par);
            mixers[i].prepare(aw, attnIn, b, rope, t0, t1, par);
        }

        /** Layer i's sequence mixing over all n tokens (it reads and advances the document's state). */
        void mix(int i, Parallel parallel) {
            mixers[i].mix(weights.layers().get(i).attention(), state, i, p0, n, b, spikes, parallel);
        }

        /** The rest of layer i: o_proj and the residual, RMSNorm, the MLP and its residual. */
        void finish(int i, int t0, int t1, Parallel par) {
            LayerWeights lw = weights.layers().get(i);
            int m = t1 - t0;
            lw.attention().o().apply(new LinearInput(b.mixed, t0, m, qDim, spikes, outputSite[i]), null, b.proj, par);
            Axpy.add(b.proj, t0 * h, b.x, t0 * h, m * h);
            RmsNorm.rows(b.x, lw.mlpNorm(), eps, b.a, t0, t1, h, par);
            lw.ffn().apply(new LinearInput(b.a, t0, m, h, spikes, mlpSite[i]), b.proj, b.ffn, par);
            Axpy.add(b.proj, t0 * h, b.x, t0 * h, m * h);
        }

        /** Final RMSNorm, the log-partitions, and log p(token_{t+1} | ..token_t) from this range's logits. */
        void head(int t0, int t1, Parallel par) {
            RmsNorm.rows(b.x, weights.norm(), eps, b.a, t0, t1, h, par);
            LanguageModelHead.logSumExp(weights.lmHead(), b.a, t0, t1, logits, lse, par);
            for (int t = t0; t < t1 && t + 1 < n; t++) {
                logProbs[outOffset + t + 1] = LanguageModelHead.logit(weights.lmHead(), b.a, t * h, tokens[offset + t + 1]) - lse[t];
            }
        }
    }

    @Override
    public void close() {
        if (checkpoint != null) {
            checkpoint.close();
        }
    }
}
