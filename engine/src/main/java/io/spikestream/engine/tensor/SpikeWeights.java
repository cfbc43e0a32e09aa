package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.CheckpointException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * The weights of a spiking (W8ASpike) linear [out, in]: integer codes with one float scale per output row
 * and group of {@code groupSize} input features, {@code W ≈ code · scale}.
 *
 * <p>Stored in blocks of {@link #BLOCK} outputs, input-major inside a block
 * ({@code codes[out / 64][in][64]}, one byte each, outputs padded with zero codes to a multiple of 64): a
 * spike on input feature i adds the 64 codes of row i times its count to the block's 64 outputs, so an
 * event-driven kernel reads only the rows of features that spiked, a block is one sequential stream, and
 * the sums of a group fill vector lanes without horizontal reductions. Codes are exact integers and never
 * clamped: the byte holds clamp(code, −128, 127) and the rare codes outside int8 are exceptions (kept per
 * group and block as the difference to the byte), so every code survives exactly.
 */
public final class SpikeWeights {
    /** Outputs per block; outputs are padded to a multiple of it. */
    public static final int BLOCK = 64;
    private static final long MAX_PAGE_BYTES = 1L << 30;

    private final int out;
    private final int in;
    private final int outPadded;
    private final int groupSize;
    private final int groups;
    private final ByteBuffer[] pages;
    /** The pages prepared for vector loads, once. */
    private final MappedVectors.Region[] regions;
    private final int blocksPerPage;
    private final float[] scales;
    private final int[] exceptionStart;
    private final int[] exceptionPosition;
    private final float[] exceptionDelta;
    private final int maxAbsCode;

    private SpikeWeights(int out, int in, int groupSize, ByteBuffer[] pages, float[] scales, int[] exceptionStart,
                         int[] exceptionPosition, float[] exceptionDelta, int maxAbsCode) {
        this.out = out;
        this.in = in;
        this.outPadded = padded(out);
        this.groupSize = groupSize;
        this.groups = in / groupSize;
        this.pages = pages;
        this.regions = new MappedVectors.Region[pages.length];
        for (int p = 0; p < pages.length; p++) {
            regions[p] = MappedVectors.region(pages[p]);
        }
        this.blocksPerPage = blocksPerPage(in);
        this.scales = scales;
        this.exceptionStart = exceptionStart;
        this.exceptionPosition = exceptionPosition;
        this.exceptionDelta = exceptionDelta;
        this.maxAbsCode = maxAbsCode;
    }

    /** Codes of one weight row (output o), PyTorch layout: {@code codes[i]} for input i. */
    @FunctionalInterface
    public interface CodeRows {
        void row(int o, int[] codes);
    }

    public static int padded(int out) {
        return (out + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** Bytes of one block: {@code in} rows of 64 codes. */
    public static long blockBytes(int in) {
        return (long) in * BLOCK;
    }

    private static int blocksPerPage(int in) {
        return (int) Math.max(1, MAX_PAGE_BYTES / blockBytes(in));
    }

    /**
     * Builds the blocked store from codes given row by row.
     *
     * @param scales [out][in / groupSize], row-major (the checkpoint's {@code weight_quantizer.scales})
     */
    public static SpikeWeights build(int out, int in, int groupSize, CodeRows rows, float[] scales) {
        checkShape(out, in, groupSize, scales.length, "codes");
        int outPadded = padded(out);
        int blocks = outPadded / BLOCK;
        int groups = in / groupSize;
        int perPage = blocksPerPage(in);
        ByteBuffer[] pages = new ByteBuffer[(blocks + perPage - 1) / perPage];
        for (int p = 0; p < pages.length; p++) {
            int count = Math.min(perPage, blocks - p * perPage);
            pages[p] = ByteBuffer.allocate((int) (count * blockBytes(in))).order(ByteOrder.LITTLE_ENDIAN);
        }
        float[] scalesT = new float[groups * outPadded];
        for (int o = 0; o < out; o++) {
            for (int g = 0; g < groups; g++) {
                scalesT[g * outPadded + o] = scales[o * groups + g];
            }
        }
        Exceptions exceptions = new Exceptions(groups, blocks);
        // A block of rows at a time, so that each input row of a block is written as one run of 64 bytes.
        int[][] codes = new int[Math.min(BLOCK, out)][in];
        int maxAbs = 0;
        for (int o0 = 0; o0 < out; o0 += BLOCK) {
            int count = Math.min(BLOCK, out - o0);
            int b = o0 / BLOCK;
            for (int r = 0; r < count; r++) {
                rows.row(o0 + r, codes[r]);
            }
            ByteBuffer page = pages[b / perPage];
            long blockBase = (b % perPage) * blockBytes(in);
            for (int i = 0; i < in; i++) {
                int base = (int) (blockBase + (long) i * BLOCK);
                for (int r = 0; r < count; r++) {
                    int c = codes[r][i];
                    int stored = Math.max(-128, Math.min(127, c));
                    page.put(base + r, (byte) stored);
                    maxAbs = Math.max(maxAbs, Math.abs(c));
                    if (c != stored) {
                        exceptions.add(i / groupSize, b, (i % groupSize) * BLOCK + r, c - stored);
                    }
                }
            }
        }
        return new SpikeWeights(out, in, groupSize, pages, scalesT, exceptions.start(), exceptions.positions(),
                exceptions.deltas(), maxAbs);
    }

    /**
     * Wraps a blocked code store as {@link #codePages} gives it (e.g. memory-mapped from the compact
     * layout, pages of whole blocks), its scales [groups][outPadded], and the codes outside int8 in
     * {@link #exceptionsInCellOrder} order: flat index {@code i · outPadded + o} and exact code, read
     * straight into the kernels' arrays (no sorting, no copies of the whole list).
     */
    public static SpikeWeights wrap(int out, int in, int groupSize, ByteBuffer[] pages, float[] scalesT, IntBuffer exceptionIndex,
                                    IntBuffer exceptionCode, String name) {
        int outPadded = padded(out);
        int blocks = outPadded / BLOCK;
        int groups = in / groupSize;
        checkShape(out, in, groupSize, (long) scalesT.length / outPadded * out, name);
        int perPage = blocksPerPage(in);
        long total = 0;
        for (ByteBuffer p : pages) {
            total += p.capacity();
        }
        if (total != (long) blocks * blockBytes(in) || pages.length != (blocks + perPage - 1) / perPage) {
            throw new CheckpointException("tensor '" + name + "' holds " + total + " code bytes, expected " + blocks + " × " + in + " × " + BLOCK);
        }
        int maxAbs = 0;
        for (int b = 0; b < blocks; b++) {
            ByteBuffer page = pages[b / perPage];
            int blockBase = (int) ((b % perPage) * blockBytes(in));
            for (int i = 0; i < in; i++) {
                for (int l = 0; l < BLOCK; l++) {
                    int c = page.get(blockBase + i * BLOCK + l);
                    if (b * BLOCK + l >= out && c != 0) {
                        throw new CheckpointException("tensor '" + name + "' has a non-zero code in the padding of input row " + i);
                    }
                    maxAbs = Math.max(maxAbs, Math.abs(c));
                }
            }
        }
        int n = exceptionIndex.remaining();
        int[] start = new int[groups * blocks + 1];
        int[] positions = new int[n];
        float[] deltas = new float[n];
        long previous = -1;
        for (int e = 0; e < n; e++) {
            long index = exceptionIndex.get(exceptionIndex.position() + e);
            int i = (int) (index / outPadded);
            int o = (int) (index % outPadded);
            if (index < 0 || i >= in || o >= out) {
                throw new CheckpointException("tensor '" + name + "' has an exception at index " + index + " outside [" + in + ", " + out + "]");
            }
            int b = o / BLOCK;
            int g = i / groupSize;
            int pos = (i % groupSize) * BLOCK + o % BLOCK;
            long key = ((long) (g * blocks + b) << 32) | pos;
            if (key <= previous) {
                throw new CheckpointException("tensor '" + name + "': exceptions are not in (group, block, position) order at entry " + e);
            }
            previous = key;
            int stored = pages[b / perPage].get((int) ((b % perPage) * blockBytes(in)) + i * BLOCK + o % BLOCK);
            int c = exceptionCode.get(exceptionCode.position() + e);
            if (c >= -128 && c <= 127 || stored != Math.max(-128, Math.min(127, c))) {
                throw new CheckpointException("tensor '" + name + "' has an inconsistent exception at input " + i + ", output " + o
                        + ": code " + c + " with stored byte " + stored);
            }
            maxAbs = Math.max(maxAbs, Math.abs(c));
            positions[e] = pos;
            deltas[e] = c - stored;
            start[g * blocks + b + 1]++;
        }
        for (int cell = 0; cell < groups * blocks; cell++) {
            start[cell + 1] += start[cell];
        }
        for (float s : scalesT) {
            if (!Float.isFinite(s)) {
                throw new CheckpointException("tensor '" + name + "' has a scale that is not finite: " + s);
            }
        }
        return new SpikeWeights(out, in, groupSize, pages, scalesT, start, positions, deltas, maxAbs);
    }

    private static void checkShape(int out, int in, int groupSize, long scaleCount, String name) {
        if (out <= 0 || in <= 0 || groupSize <= 0 || in % groupSize != 0) {
            throw new CheckpointException("tensor '" + name + "': group size " + groupSize + " does not divide the " + in
                    + " input features");
        }
        if (scaleCount != (long) out * (in / groupSize)) {
            throw new CheckpointException("tensor '" + name + "': " + scaleCount + " scales for " + out + " rows × "
                    + in / groupSize + " groups");
        }
    }

    private static int blocks(int outPadded) {
        return outPadded / BLOCK;
    }

    public int rows() {
        return out;
    }

    public int cols() {
        return in;
    }

    public int outPadded() {
        return outPadded;
    }

    public int groupSize() {
        return groupSize;
    }

    public int groups() {
        return groups;
    }

    /** Output blocks of {@link #BLOCK}. */
    public int blocks() {
        return blocks(outPadded);
    }

    /** The largest |code|, exceptions included (bounds the integer sums of a group). */
    public int maxAbsCode() {
        return maxAbsCode;
    }

    public int exceptionCount() {
        return exceptionPosition.length;
    }

    /** The exact code of output o, input i. */
    public int code(int o, int i) {
        int b = o / BLOCK;
        int stored = page(b).get(offset(b, i) + o % BLOCK);
        int g = i / groupSize;
        int pos = (i % groupSize) * BLOCK + o % BLOCK;
        for (int e = exceptionStart(g, b); e < exceptionEnd(g, b); e++) {
            if (exceptionPosition[e] == pos) {
                return stored + (int) exceptionDelta[e];
            }
        }
        return stored;
    }

    public float scale(int o, int g) {
        return scales[g * outPadded + o];
    }

    /** Scales [groups][outPadded] (zero in the padding). */
    public float[] scalesByGroup() {
        return scales;
    }

    /** The page holding output block b. */
    public ByteBuffer page(int b) {
        return pages[b / blocksPerPage];
    }

    /** {@link #page(int)} prepared for vector loads. */
    public MappedVectors.Region region(int b) {
        return regions[b / blocksPerPage];
    }

    /** Byte offset of the 64 codes of input i in block b, in {@link #page(int) page(b)}. */
    public int offset(int b, int i) {
        return (int) ((b % blocksPerPage) * blockBytes(in)) + i * BLOCK;
    }

    /** First exception of (group g, output block b); exceptions of a cell run to the next cell's start. */
    public int exceptionStart(int g, int b) {
        return exceptionStart[g * blocks() + b];
    }

    /** One past the last exception of (group g, output block b). */
    public int exceptionEnd(int g, int b) {
        return exceptionStart[g * blocks() + b + 1];
    }

    /** Position of exception e in its cell: {@code (i mod groupSize) · BLOCK + (o mod BLOCK)}. */
    public int exceptionPosition(int e) {
        return exceptionPosition[e];
    }

    /** The exact code minus the stored byte (a small integer, as float). */
    public float exceptionDelta(int e) {
        return exceptionDelta[e];
    }

    /** Bytes held: one per code, four per scale, eight per exception. */
    public long storedBytes() {
        return (long) in * outPadded + 4L * scales.length + 8L * exceptionPosition.length;
    }

    /** The pages of blocked codes, in order (what the compact layout stores as I8 [blocks, in, 64]). */
    public ByteBuffer[] codePages() {
        return pages.clone();
    }

    /**
     * Exceptions as flat indices {@code i · outPadded + o} and their exact codes, in the kernels' order:
     * by group, then output block, then position in the cell (what the compact layout stores).
     */
    public int[][] exceptionsInCellOrder() {
        int n = exceptionPosition.length;
        int[] index = new int[n];
        int[] codes = new int[n];
        for (int g = 0; g < groups; g++) {
            for (int b = 0; b < blocks(); b++) {
                for (int e = exceptionStart(g, b); e < exceptionEnd(g, b); e++) {
                    int i = g * groupSize + exceptionPosition[e] / BLOCK;
                    int o = b * BLOCK + exceptionPosition[e] % BLOCK;
                    index[e] = Math.toIntExact((long) i * outPadded + o);
                    codes[e] = page(b).get(offset(b, i) + o % BLOCK) + (int) exceptionDelta[e];
                }
            }
        }
        return new int[][] {index, codes};
    }

    /** Collects exceptions, then orders them by (group, block) cell and position within the cell. */
    private static final class Exceptions {
        private final int blocks;
        private final int[] counts;
        private int[] cell = new int[16];
        private long[] entry = new long[16];
        private int n;
        private int[] start;
        private long[] ordered;

        Exceptions(int groups, int blocks) {
            this.blocks = blocks;
            this.counts = new int[groups * blocks];
        }

        void add(int g, int b, int position, int delta) {
            if (n == entry.length) {
                cell = Arrays.copyOf(cell, n * 2);
                entry = Arrays.copyOf(entry, n * 2);
            }
            cell[n] = g * blocks + b;
            entry[n] = ((long) position << 32) | (delta & 0xffffffffL);
            counts[g * blocks + b]++;
            n++;
        }

        /** Counting sort by cell, then each cell's entries by position. */
        private void order() {
            if (ordered != null) {
                return;
            }
            start = new int[counts.length + 1];
            for (int c = 0; c < counts.length; c++) {
                start[c + 1] = start[c] + counts[c];
            }
            int[] next = Arrays.copyOf(start, counts.length);
            ordered = new long[n];
            for (int e = 0; e < n; e++) {
                ordered[next[cell[e]]++] = entry[e];
            }
            for (int c = 0; c < counts.length; c++) {
                Arrays.sort(ordered, start[c], start[c + 1]);
            }
        }

        int[] start() {
            order();
            return start;
        }

        int[] positions() {
            order();
            int[] out = new int[n];
            for (int e = 0; e < n; e++) {
                out[e] = (int) (ordered[e] >>> 32);
            }
            return out;
        }

        float[] deltas() {
            order();
            float[] out = new float[n];
            for (int e = 0; e < n; e++) {
                out[e] = (int) ordered[e];
            }
            return out;
        }
    }
}
