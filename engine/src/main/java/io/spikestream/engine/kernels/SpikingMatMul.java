package io.spikestream.engine.kernels;

import io.spikestream.engine.spiking.Spikes;
import io.spikestream.engine.tensor.MappedVectors;
import io.spikestream.engine.tensor.SpikeWeights;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The spiking linear of W8ASpike (REFERENCE.md): for token t with threshold V_th and spike counts s,
 * <pre>
 *   gsum[g][o] = Σ_{i ∈ group g} code[o][i] · s[i]                    an exact integer
 *   acc[o]     = fma(scale[o][g], gsum[g][o], acc[o])   for g = 0, 1, …  (acc starts at +0)
 *   y[t][o]    = fma(acc[o], V_th, bias[o])
 * </pre>
 * The group sums are formed in float lanes, where products and sums of small integers are exact as long as
 * they stay below 2^24: {@code max|s| · max|code| · groupSize < 2^24} is checked per token, and a token
 * beyond it (an extreme outlier) is summed in long arithmetic instead. Exact sums do not depend on their
 * order, so prefill, decode, any tiling and any thread count give the same bits.
 *
 * <p>Work is split over blocks of 64 outputs ({@link SpikeWeights}' layout: a block is one sequential run of
 * input rows). Prefill widens a group's rows of a block to float once and reuses them for all tokens in
 * 3 × 64 register tiles. Decode (up to {@link #EVENT_DRIVEN_MAX_TOKENS} tokens) is event-driven: it reads
 * only the code rows of input features whose count is not zero.
 */
public final class SpikingMatMul {
    /** Chunks of at most this many tokens are computed event-driven, token by token. */
    public static final int EVENT_DRIVEN_MAX_TOKENS = 3;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    /** 8-lane CPUs (AVX2): the same sums in vectors of 8 (exact integers: any order gives the same bits). */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int L = 16;
    private static final int BLOCK = SpikeWeights.BLOCK;
    private static final long EXACT_LIMIT = 1L << 24;
    private static final int TILE = 3;

    private SpikingMatMul() {
    }

    /** y (n × out, row-major) = the spiking linear of the n tokens of {@code x}. */
    public static void matmul(SpikeWeights w, float[] bias, Spikes x, float[] y, Parallel parallel) {
        int n = x.tokens();
        int out = w.rows();
        if (x.width() != w.cols()) {
            throw new IllegalArgumentException("spikes of width " + x.width() + " for a weight with " + w.cols() + " inputs");
        }
        if (bias != null && bias.length != out) {
            throw new IllegalArgumentException("bias has " + bias.length + " entries for " + out + " rows");
        }
        if (y.length < (long) n * out) {
            throw new IllegalArgumentException("output too small for " + n + " tokens: " + y.length);
        }
        int[] fast = new int[n];
        int[] slow = new int[n];
        int nf = 0;
        int ns = 0;
        for (int t = 0; t < n; t++) {
            if (exactInFloat(x.maxAbs(t), w.maxAbsCode(), w.groupSize())) {
                fast[nf++] = t;
            } else {
                slow[ns++] = t;
            }
        }
        int[] fastTokens = Arrays.copyOf(fast, nf);
        int[] slowTokens = Arrays.copyOf(slow, ns);
        Active active = nf <= EVENT_DRIVEN_MAX_TOKENS ? Active.of(x, fastTokens, w.groupSize()) : null;
        long workPerBlock = (long) BLOCK * w.cols() * Math.max(1, n);
        int grain = (int) Math.max(1, 65536L / workPerBlock);
        parallel.forRange(w.blocks(), grain, (b0, b1) -> {
            Scratch scratch = new Scratch(w.groupSize(), fastTokens.length);
            for (int b = b0; b < b1; b++) {
                if (fastTokens.length > 0) {
                    block(w, bias, x, fastTokens, active, b, y, scratch);
                }
                for (int t : slowTokens) {
                    exactBlock(w, bias, x, t, b, y);
                }
            }
        });
    }

    /** Whether every partial group sum of a token is an integer below 2^24 (exact in float). */
    static boolean exactInFloat(int maxAbsCount, int maxAbsCode, int groupSize) {
        return (long) maxAbsCount * maxAbsCode * groupSize < EXACT_LIMIT;
    }

    /**
     * The inputs that spiked, per token: indices within their group, grouped ({@code starts[k][g]} to
     * {@code starts[k][g + 1]}). A list, not a test inside the kernel loop: a branch there keeps C2 from
     * holding the accumulators in registers.
     */
    private record Active(int[][] inputs, int[][] starts) {
        static Active of(Spikes x, int[] tokens, int groupSize) {
            int groups = x.width() / groupSize;
            int[][] inputs = new int[tokens.length][];
            int[][] starts = new int[tokens.length][groups + 1];
            float[] c = x.counts();
            for (int k = 0; k < tokens.length; k++) {
                int base = tokens[k] * x.width();
                int[] list = new int[x.width()];
                int n = 0;
                for (int g = 0; g < groups; g++) {
                    starts[k][g] = n;
                    for (int i = 0; i < groupSize; i++) {
                        if (c[base + g * groupSize + i] != 0f) {
                            list[n++] = i;
                        }
                    }
                }
                starts[k][groups] = n;
                inputs[k] = list;
            }
            return new Active(inputs, starts);
        }
    }

    /** Per-task buffers. */
    private static final class Scratch {
        final float[] panel;
        final float[] sums = new float[TILE * BLOCK];
        final float[] totals;

        Scratch(int groupSize, int tokens) {
            this.panel = new float[groupSize * BLOCK];
            this.totals = new float[Math.max(1, tokens) * BLOCK];
        }
    }

    private static void block(SpikeWeights w, float[] bias, Spikes x, int[] tokens, Active active, int b, float[] y, Scratch s) {
        int o0 = b * BLOCK;
        int n = tokens.length;
        float[] totals = s.totals;
        Arrays.fill(totals, 0, n * BLOCK, 0f);
        ByteBuffer page = w.page(b);
        MappedVectors.Region region = w.region(b);
        if (n <= EVENT_DRIVEN_MAX_TOKENS) {
            for (int k = 0; k < n; k++) {
                int base = tokens[k] * x.width();
                for (int g = 0; g < w.groups(); g++) {
                    int row0 = g * w.groupSize();
                    int from = active.starts[k][g];
                    int to = active.starts[k][g + 1];
                    if (Dot.VECTOR) {
                        eventGroup(region, w.offset(b, row0), x.counts(), base + row0, active.inputs[k], from, to, s.sums);
                    } else if (Dot.VECTOR8) {
                        eventGroup8(region, w.offset(b, row0), x.counts(), base + row0, active.inputs[k], from, to, s.sums);
                    } else {
                        eventGroupScalar(page, w.offset(b, row0), x.counts(), base + row0, active.inputs[k], from, to, s.sums);
                    }
                    applyExceptions(w, g, b, x, tokens, k, 1, s.sums);
                    accumulate(w, g, o0, s.sums, 1, totals, k * BLOCK);
                }
            }
        } else {
            for (int g = 0; g < w.groups(); g++) {
                widenPanel(page, region, w.offset(b, g * w.groupSize()), w.groupSize(), s.panel);
                for (int k = 0; k < n; k += TILE) {
                    int count = Math.min(TILE, n - k);
                    groupSums(s.panel, w.groupSize(), x, tokens, k, count, g, s.sums);
                    applyExceptions(w, g, b, x, tokens, k, count, s.sums);
                    accumulate(w, g, o0, s.sums, count, totals, k * BLOCK);
                }
            }
        }
        int limit = Math.min(BLOCK, w.rows() - o0);
        for (int k = 0; k < n; k++) {
            int t = tokens[k];
            float vth = x.threshold(t);
            int yo = t * w.rows() + o0;
            for (int l = 0; l < limit; l++) {
                y[yo + l] = Math.fma(totals[k * BLOCK + l], vth, bias == null ? 0f : bias[o0 + l]);
            }
        }
    }

    /** panel[i][l] = code of input row i of the group (64 bytes at {@code offset + 64·i}), as float. */
    private static void widenPanel(ByteBuffer page, MappedVectors.Region region, int offset, int gs, float[] panel) {
        if (Dot.VECTOR) {
            for (int i = 0; i < gs * BLOCK; i += L) {
                ((FloatVector) MappedVectors.bytes(B, region, offset + i).castShape(F, 0))
                        .intoArray(panel, i);
            }
        } else if (Dot.VECTOR8) {
            for (int i = 0; i < gs * BLOCK; i += 8) {
                ((FloatVector) MappedVectors.bytes(B8, region, offset + i).castShape(F8, 0)).intoArray(panel, i);
            }
        } else {
            for (int i = 0; i < gs * BLOCK; i++) {
                panel[i] = page.get(offset + i);
            }
        }
    }

    /** sums[k][l] = Σ_i panel[i][l] · s[token k][g·G + i] for {@code count} ≤ 3 tokens. */
    private static void groupSums(float[] panel, int gs, Spikes x, int[] tokens, int k0, int count, int g, float[] sums) {
        float[] c = x.counts();
        int k = x.width();
        if (Dot.VECTOR && count == TILE) {
            tile3x4(panel, gs, c, tokens[k0] * k + g * gs, tokens[k0 + 1] * k + g * gs, tokens[k0 + 2] * k + g * gs, sums);
            return;
        }
        for (int j = 0; j < count; j++) {
            int base = tokens[k0 + j] * k + g * gs;
            if (Dot.VECTOR) {
                tile1x4(panel, gs, c, base, sums, j * BLOCK);
            } else if (Dot.VECTOR8) {
                tile1x8(panel, gs, c, base, sums, j * BLOCK);
            } else {
                for (int l = 0; l < BLOCK; l++) {
                    float a = 0f;
                    for (int i = 0; i < gs; i++) {
                        a = Math.fma(panel[i * BLOCK + l], c[base + i], a);
                    }
                    sums[j * BLOCK + l] = a;
                }
            }
        }
    }

    /** Three tokens × 64 outputs: twelve accumulators, four panel loads and three broadcasts per input. */
    private static void tile3x4(float[] panel, int gs, float[] c, int b0, int b1, int b2, float[] sums) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        for (int i = 0; i < gs; i++) {
            int p = i * BLOCK;
            FloatVector w0 = FloatVector.fromArray(F, panel, p);
            FloatVector w1 = FloatVector.fromArray(F, panel, p + L);
            FloatVector w2 = FloatVector.fromArray(F, panel, p + 2 * L);
            FloatVector w3 = FloatVector.fromArray(F, panel, p + 3 * L);
            FloatVector s0 = FloatVector.broadcast(F, c[b0 + i]);
            a00 = w0.fma(s0, a00);
            a01 = w1.fma(s0, a01);
            a02 = w2.fma(s0, a02);
            a03 = w3.fma(s0, a03);
            FloatVector s1 = FloatVector.broadcast(F, c[b1 + i]);
            a10 = w0.fma(s1, a10);
            a11 = w1.fma(s1, a11);
            a12 = w2.fma(s1, a12);
            a13 = w3.fma(s1, a13);
            FloatVector s2 = FloatVector.broadcast(F, c[b2 + i]);
            a20 = w0.fma(s2, a20);
            a21 = w1.fma(s2, a21);
            a22 = w2.fma(s2, a22);
            a23 = w3.fma(s2, a23);
        }
        a00.intoArray(sums, 0);
        a01.intoArray(sums, L);
        a02.intoArray(sums, 2 * L);
        a03.intoArray(sums, 3 * L);
        a10.intoArray(sums, BLOCK);
        a11.intoArray(sums, BLOCK + L);
        a12.intoArray(sums, BLOCK + 2 * L);
        a13.intoArray(sums, BLOCK + 3 * L);
        a20.intoArray(sums, 2 * BLOCK);
        a21.intoArray(sums, 2 * BLOCK + L);
        a22.intoArray(sums, 2 * BLOCK + 2 * L);
        a23.intoArray(sums, 2 * BLOCK + 3 * L);
    }

    /** One token × 64 outputs from the panel. */
    private static void tile1x4(float[] panel, int gs, float[] c, int base, float[] sums, int at) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < gs; i++) {
            int p = i * BLOCK;
            FloatVector s = FloatVector.broadcast(F, c[base + i]);
            a0 = FloatVector.fromArray(F, panel, p).fma(s, a0);
            a1 = FloatVector.fromArray(F, panel, p + L).fma(s, a1);
            a2 = FloatVector.fromArray(F, panel, p + 2 * L).fma(s, a2);
            a3 = FloatVector.fromArray(F, panel, p + 3 * L).fma(s, a3);
        }
        a0.intoArray(sums, at);
        a1.intoArray(sums, at + L);
        a2.intoArray(sums, at + 2 * L);
        a3.intoArray(sums, at + 3 * L);
    }

    /** One token × 64 outputs from the panel, on 8-lane vectors. */
    private static void tile1x8(float[] panel, int gs, float[] c, int base, float[] sums, int at) {
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int i = 0; i < gs; i++) {
            int p = i * BLOCK;
            FloatVector s = FloatVector.broadcast(F8, c[base + i]);
            a0 = FloatVector.fromArray(F8, panel, p).fma(s, a0);
            a1 = FloatVector.fromArray(F8, panel, p + 8).fma(s, a1);
            a2 = FloatVector.fromArray(F8, panel, p + 16).fma(s, a2);
            a3 = FloatVector.fromArray(F8, panel, p + 24).fma(s, a3);
            a4 = FloatVector.fromArray(F8, panel, p + 32).fma(s, a4);
            a5 = FloatVector.fromArray(F8, panel, p + 40).fma(s, a5);
            a6 = FloatVector.fromArray(F8, panel, p + 48).fma(s, a6);
            a7 = FloatVector.fromArray(F8, panel, p + 56).fma(s, a7);
        }
        a0.intoArray(sums, at);
        a1.intoArray(sums, at + 8);
        a2.intoArray(sums, at + 16);
        a3.intoArray(sums, at + 24);
        a4.intoArray(sums, at + 32);
        a5.intoArray(sums, at + 40);
        a6.intoArray(sums, at + 48);
        a7.intoArray(sums, at + 56);
    }

    /** {@link #eventGroup} on 8-lane vectors. */
    private static void eventGroup8(MappedVectors.Region page, int offset, float[] c, int cBase, int[] inputs, int from, int to, float[] sums) {
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = from; k < to; k++) {
            int i = inputs[k];
            int off = offset + i * BLOCK;
            FloatVector sv = FloatVector.broadcast(F8, c[cBase + i]);
            a0 = ((FloatVector) MappedVectors.bytes(B8, page, off).castShape(F8, 0)).fma(sv, a0);
            a1 = ((FloatVector) MappedVectors.bytes(B8, page, off + 8).castShape(F8, 0)).fma(sv, a1);
            a2 = ((FloatVector) MappedVectors.bytes(B8, page, off + 16).castShape(F8, 0)).fma(sv, a2);
            a3 = ((FloatVector) MappedVectors.bytes(B8, page, off + 24).castShape(F8, 0)).fma(sv, a3);
            a4 = ((FloatVector) MappedVectors.bytes(B8, page, off + 32).castShape(F8, 0)).fma(sv, a4);
            a5 = ((FloatVector) MappedVectors.bytes(B8, page, off + 40).castShape(F8, 0)).fma(sv, a5);
            a6 = ((FloatVector) MappedVectors.bytes(B8, page, off + 48).castShape(F8, 0)).fma(sv, a6);
            a7 = ((FloatVector) MappedVectors.bytes(B8, page, off + 56).castShape(F8, 0)).fma(sv, a7);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, 8);
        a2.intoArray(sums, 16);
        a3.intoArray(sums, 24);
        a4.intoArray(sums, 32);
        a5.intoArray(sums, 40);
        a6.intoArray(sums, 48);
        a7.intoArray(sums, 56);
    }

    /**
     * Event-driven group sums of one token over a block: only the 64-code rows of the inputs that spiked
     * ({@code inputs[from..to)}, indices within the group) are read.
     */
    private static void eventGroup(MappedVectors.Region page, int offset, float[] c, int cBase, int[] inputs, int from, int to, float[] sums) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = from; k < to; k++) {
            int i = inputs[k];
            int off = offset + i * BLOCK;
            FloatVector sv = FloatVector.broadcast(F, c[cBase + i]);
            a0 = ((FloatVector) MappedVectors.bytes(B, page, off).castShape(F, 0)).fma(sv, a0);
            a1 = ((FloatVector) MappedVectors.bytes(B, page, off + L).castShape(F, 0)).fma(sv, a1);
            a2 = ((FloatVector) MappedVectors.bytes(B, page, off + 2 * L).castShape(F, 0)).fma(sv, a2);
            a3 = ((FloatVector) MappedVectors.bytes(B, page, off + 3 * L).castShape(F, 0)).fma(sv, a3);
        }
        a0.intoArray(sums, 0);
        a1.intoArray(sums, L);
        a2.intoArray(sums, 2 * L);
        a3.intoArray(sums, 3 * L);
    }

    private static void eventGroupScalar(ByteBuffer page, int offset, float[] c, int cBase, int[] inputs, int from, int to,
                                         float[] sums) {
        Arrays.fill(sums, 0, BLOCK, 0f);
        for (int k = from; k < to; k++) {
            int i = inputs[k];
            float s = c[cBase + i];
            int off = offset + i * BLOCK;
            for (int l = 0; l < BLOCK; l++) {
                sums[l] = Math.fma(page.get(off + l), s, sums[l]);
            }
        }
    }

    /** Adds the codes outside int8 of cell (g, b): sums[k][o] += (code − stored byte) · s. */
    private static void applyExceptions(SpikeWeights w, int g, int b, Spikes x, int[] tokens, int k0, int count, float[] sums) {
        int start = w.exceptionStart(g, b);
        int end = w.exceptionEnd(g, b);
        if (start == end) {
            return;
        }
        float[] c = x.counts();
        int k = x.width();
        int gBase = g * w.groupSize();
        for (int e = start; e < end; e++) {
            int pos = w.exceptionPosition(e);
            int i = gBase + pos / BLOCK;
            int l = pos % BLOCK;
            float delta = w.exceptionDelta(e);
            for (int j = 0; j < count; j++) {
                int idx = j * BLOCK + l;
                sums[idx] = Math.fma(delta, c[tokens[k0 + j] * k + i], sums[idx]);
            }
        }
    }

    /** totals[k][l] = fma(scale[g][o0 + l], sums[k][l], totals[k][l]). */
    private static void accumulate(SpikeWeights w, int g, int o0, float[] sums, int count, float[] totals, int t0) {
        float[] scales = w.scalesByGroup();
        int so = g * w.outPadded() + o0;
        for (int j = 0; j < count; j++) {
            int to = t0 + j * BLOCK;
            if (Dot.VECTOR) {
                for (int l = 0; l < BLOCK; l += L) {
                    FloatVector.fromArray(F, scales, so + l)
                            .fma(FloatVector.fromArray(F, sums, j * BLOCK + l), FloatVector.fromArray(F, totals, to + l))
                            .intoArray(totals, to + l);
                }
            } else {
                for (int l = 0; l < BLOCK; l++) {
                    totals[to + l] = Math.fma(scales[so + l], sums[j * BLOCK + l], totals[to + l]);
                }
            }
        }
    }

    /** A token whose sums may pass 2^24: each group sum in long arithmetic, rounded to float once. */
    private static void exactBlock(SpikeWeights w, float[] bias, Spikes x, int t, int b, float[] y) {
        int o0 = b * BLOCK;
        int end = Math.min(w.rows(), o0 + BLOCK);
        int gs = w.groupSize();
        float vth = x.threshold(t);
        for (int o = o0; o < end; o++) {
            float acc = 0f;
            for (int g = 0; g < w.groups(); g++) {
                long sum = 0;
                for (int i = g * gs; i < (g + 1) * gs; i++) {
                    sum += (long) w.code(o, i) * x.count(t, i);
                }
                acc = Math.fma(w.scale(o, g), (float) sum, acc);
            }
            y[t * w.rows() + o] = Math.fma(acc, vth, bias == null ? 0f : bias[o]);
        }
    }
}
