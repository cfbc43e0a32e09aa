package io.spikestream.engine.model;

import io.spikestream.engine.kernels.Activations;
import io.spikestream.engine.kernels.Axpy;
import io.spikestream.engine.kernels.MatMul;
import io.spikestream.engine.kernels.Parallel;
import io.spikestream.engine.tensor.Matrix;

import java.util.Arrays;
import java.util.List;

/**
 * A layer's feed-forward part after its norm: {@code out = FFN(m)} for a block of token rows. A dense SwiGLU
 * (gla_swa, and spikingbrain_moe's dense layers) or a mixture of experts (spikingbrain_moe's other layers).
 * Each token's result depends on its own row only, so blocks of any size give the same bits.
 */
public sealed interface FeedForward permits FeedForward.SwiGlu, FeedForward.MixtureOfExperts {
    /** Bytes of the weights as stored. */
    long storedBytes();

    /** Bytes a token reads: the routed experts it uses, not all of them. */
    long bytesPerToken();

    /** Multiply-accumulates per token (the routed experts it uses). */
    long macsPerToken();

    /** Of {@link #macsPerToken()}, those of the down projections (float in W8ASpike). */
    long downMacsPerToken();

    /**
     * {@code out} rows [in.first, in.first + in.tokens) (H wide) = the FFN of the input rows. Uses rows of the same
     * range of {@code scratch}, so blocks of disjoint rows may run at once.
     */
    void apply(LinearInput in, float[] out, Scratch scratch, Parallel parallel);

    /**
     * Per-pass buffers, rows indexed like the pass's tokens. The SwiGLU activations are kept per width (a dense
     * layer, the experts and the shared experts may differ), each with that width as its row stride: blocks of
     * tokens applied at once on different threads then never share an element.
     */
    final class Scratch {
        private final int[] widths;
        private final float[][] gates;
        private final float[][] ups;
        final float[] gathered;
        final float[] expertOut;
        final float[] routerLogits;
        final int[] chosen;
        final float[] chosenWeights;
        final int[] rowsOf;

        /** For passes of up to {@code tokens} tokens of width {@code hidden} through any of {@code parts}. */
        public Scratch(int tokens, int hidden, List<FeedForward> parts) {
            java.util.TreeSet<Integer> w = new java.util.TreeSet<>();
            int experts = 0;
            int topK = 0;
            for (FeedForward f : parts) {
                if (f instanceof SwiGlu sg) {
                    w.add(sg.width());
                } else if (f instanceof MixtureOfExperts m) {
                    m.experts().forEach(e -> w.add(e.width()));
                    m.shared().forEach(e -> w.add(e.width()));
                    experts = Math.max(experts, m.experts().size());
                    topK = Math.max(topK, m.topK());
                }
            }
            widths = w.stream().mapToInt(Integer::intValue).toArray();
            gates = new float[widths.length][];
            ups = new float[widths.length][];
            for (int i = 0; i < widths.length; i++) {
                gates[i] = new float[tokens * widths[i]];
                ups[i] = new float[tokens * widths[i]];
            }
            boolean moe = experts > 0;
            gathered = new float[moe ? tokens * hidden : 0];
            expertOut = new float[moe ? tokens * hidden : 0];
            routerLogits = new float[tokens * experts];
            chosen = new int[tokens * topK];
            chosenWeights = new float[tokens * topK];
            rowsOf = new int[moe ? tokens : 0];
        }

        private int index(int width) {
            int i = java.util.Arrays.binarySearch(widths, width);
            if (i < 0) {
                throw new IllegalArgumentException("no scratch of width " + width);
            }
            return i;
        }

        float[] gate(int width) {
            return gates[index(width)];
        }

        float[] up(int width) {
            return ups[index(width)];
        }
    }

    /** down(silu(gate m) ⊙ up m). {@code down} is float (in W8ASpike its input is the float silu ⊙ up). */
    record SwiGlu(Linear gate, Linear up, Matrix down) implements FeedForward {
        /** The hidden activation's width. */
        public int width() {
            return gate.rows();
        }

        @Override
        public long storedBytes() {
            return gate.storedBytes() + up.storedBytes() + down.storedBytes();
        }

        @Override
        public long bytesPerToken() {
            return storedBytes();
        }

        @Override
        public long macsPerToken() {
            return (long) gate.rows() * gate.cols() + (long) up.rows() * up.cols() + (long) down.rows() * down.cols();
        }

        @Override
        public long downMacsPerToken() {
            return (long) down.rows() * down.cols();
        }

        @Override
        public void apply(LinearInput in, float[] out, Scratch s, Parallel parallel) {
            int w = gate.rows();
            float[] g = s.gate(w);
            float[] u = s.up(w);
            gate.apply(in, null, g, parallel);
            up.apply(in, null, u, parallel);
            Activations.siluMul(g, u, in.first() * w, (in.first() + in.tokens()) * w, parallel);
            MatMul.matmul(down, null, g, in.first(), out, in.first(), in.tokens(), parallel);
        }
    }

    /**
     * Σ_{e ∈ top-k of p} p_e · Expert_e(m) + Σ_j Shared_j(m), p = σ(W_router m); top-k takes the k largest p, the
     * lower index first on ties. Tokens are grouped by expert, so each expert's weights are read once per pass and
     * its tokens go through it as one matrix product. A token's sum runs over its experts in index order, then
     * the shared experts.
     */
    record MixtureOfExperts(Linear router, List<SwiGlu> experts, int topK, List<SwiGlu> shared) implements FeedForward {
        public MixtureOfExperts {
            experts = List.copyOf(experts);
            shared = List.copyOf(shared);
            if (experts.size() > 64) {
                throw new IllegalArgumentException(experts.size() + " experts: at most 64 are supported");
            }
            if (router.rows() != experts.size()) {
                throw new IllegalArgumentException("a router of " + router.rows() + " rows for " + experts.size() + " experts");
            }
            if (topK < 1 || topK > experts.size()) {
                throw new IllegalArgumentException("top-" + topK + " of " + experts.size() + " experts");
            }
        }

        @Override
        public long storedBytes() {
            long total = router.storedBytes();
            for (SwiGlu e : experts) {
                total += e.storedBytes();
            }
            for (SwiGlu e : shared) {
                total += e.storedBytes();
            }
            return total;
        }

        @Override
        public long bytesPerToken() {
            long total = router.storedBytes() + (long) topK * experts.get(0).storedBytes();
            for (SwiGlu e : shared) {
                total += e.storedBytes();
            }
            return total;
        }

        @Override
        public long macsPerToken() {
            long total = (long) router.rows() * router.cols() + (long) topK * experts.get(0).macsPerToken();
            for (SwiGlu e : shared) {
                total += e.macsPerToken();
            }
            return total;
        }

        @Override
        public long downMacsPerToken() {
            long total = topK * experts.get(0).downMacsPerToken();
            for (SwiGlu e : shared) {
                total += e.downMacsPerToken();
            }
            return total;
        }

        @Override
        public void apply(LinearInput in, float[] out, Scratch s, Parallel parallel) {
            int h = router.cols();
            int e = experts.size();
            int first = in.first();
            int m = in.tokens();
            router.apply(in, null, s.routerLogits, parallel); // spiking: the same spikes as the experts' gate and up
            for (int t = first; t < first + m; t++) {
                route(s.routerLogits, t * e, e, s.chosen, s.chosenWeights, t * topK);
            }
            Arrays.fill(out, first * h, (first + m) * h, 0f);
            for (int x = 0; x < e; x++) {
                int count = 0;
                for (int t = first; t < first + m; t++) {
                    for (int r = 0; r < topK; r++) {
                        if (s.chosen[t * topK + r] == x) {
                            System.arraycopy(in.values(), t * h, s.gathered, (first + count) * h, h);
                            s.rowsOf[first + count++] = t * topK + r;
                        }
                    }
                }
                if (count == 0) {
                    continue;
                }
                experts.get(x).apply(new LinearInput(s.gathered, first, count, h, null, -1), s.expertOut, s, parallel);
                for (int c = 0; c < count; c++) {
                    int choice = s.rowsOf[first + c];
                    Axpy.fma(s.chosenWeights[choice], s.expertOut, (first + c) * h, out, choice / topK * h, h);
                }
            }
            for (SwiGlu j : shared) {
                j.apply(in, s.expertOut, s, parallel);
                Axpy.add(s.expertOut, first * h, out, first * h, m * h);
            }
        }

        /** The k largest σ(logit), lower index first on ties, in index order (so a token sums its experts in that order). */
        private void route(float[] logits, int at, int e, int[] chosen, float[] weights, int out) {
            long taken = 0;
            for (int r = 0; r < topK; r++) {
                int best = -1;
                float bestP = 0f;
                for (int x = 0; x < e; x++) {
                    float p = Activations.sigmoid(logits[at + x]);
                    if ((taken & (1L << x)) == 0 && (best < 0 || p > bestP)) {
                        best = x;
                        bestP = p;
                    }
                }
                taken |= 1L << best;
            }
            int r = 0;
            for (int x = 0; x < e; x++) {
                if ((taken & (1L << x)) != 0) {
                    chosen[out + r] = x;
                    weights[out + r++] = Activations.sigmoid(logits[at + x]);
                }
            }
        }
    }
}
