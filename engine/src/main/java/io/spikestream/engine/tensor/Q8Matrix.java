package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Weight-only int8: a float matrix stored as codes in [−127, 127] (row-major, one byte each) with one scale
 * per row and group of {@code groupSize} columns. Widening gives {@code code · scale} in float, so the
 * kernels compute with exactly the weights {@code quantize} wrote, from half the bytes of bf16. W8ASpike's
 * down_proj after post-training quantization: its input stays float (it is not spiked).
 */
public final class Q8Matrix extends Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= 16;
    /** 8-lane CPUs (AVX2): the same widening 8 columns at a time. */
    private static final boolean VECTOR8 = FloatVector.SPECIES_PREFERRED.length() == 8;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    private final int groupSize;
    private final int groups;
    private final float[] scales;

    Q8Matrix(int rows, int cols, ByteBuffer[] pages, int groupSize, float[] scales) {
        super(rows, cols, pages, 1);
        this.groupSize = groupSize;
        this.groups = cols / groupSize;
        this.scales = scales;
    }

    /** Wraps codes (pages of whole rows) and scales [rows][cols / groupSize]. */
    public static Q8Matrix wrap(int rows, int cols, int groupSize, ByteBuffer[] pages, float[] scales, String name) {
        if (groupSize <= 0 || cols % groupSize != 0 || scales.length != (long) rows * (cols / groupSize)) {
            throw new CheckpointException("tensor '" + name + "': " + scales.length + " scales do not fit [" + rows + ", " + cols
                    + "] in groups of " + groupSize);
        }
        for (float s : scales) {
            if (!(s > 0) || !Float.isFinite(s)) {
                throw new CheckpointException("tensor '" + name + "' has a scale that is not positive and finite: " + s);
            }
        }
        return new Q8Matrix(rows, cols, pages, groupSize, scales);
    }

    /** Quantizes a float matrix with the given scales; every code must lie in [−127, 127]. */
    public static Q8Matrix quantize(Matrix m, int groupSize, float[] scales, String name) {
        int rows = m.rows();
        int cols = m.cols();
        int perPage = (int) Math.max(1, MAX_PAGE_BYTES / Math.max(1, cols));
        ByteBuffer[] pages = new ByteBuffer[Math.max(1, (rows + perPage - 1) / perPage)];
        float[] row = new float[cols];
        int groups = cols / groupSize;
        for (int p = 0; p < pages.length; p++) {
            int r0 = p * perPage;
            int r1 = Math.min(rows, r0 + perPage);
            ByteBuffer page = ByteBuffer.allocate((r1 - r0) * cols).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = r0; r < r1; r++) {
                m.widenRow(r, row, 0);
                for (int c = 0; c < cols; c++) {
                    double code = Math.rint((double) row[c] / scales[r * groups + c / groupSize]);
                    if (!(Math.abs(code) <= 127)) {
                        throw new IllegalArgumentException("weight-only int8 of '" + name + "': row " + r + ", column " + c
                                + " has code " + code + " outside [-127, 127]");
                    }
                    page.put((byte) code);
                }
            }
            page.flip();
            pages[p] = page;
        }
        return wrap(rows, cols, groupSize, pages, scales, name);
    }

    @Override
    public DType dtype() {
        return DType.I8;
    }

    public int groupSize() {
        return groupSize;
    }

    /** Scales [rows][cols / groupSize]. */
    public float[] scales() {
        return scales;
    }

    public int code(int row, int col) {
        return page(row).get(byteOffset(row) + col);
    }

    /** The page holding row r. */
    public ByteBuffer codePage(int r) {
        return page(r);
    }

    /** {@link #codePage} prepared for vector loads. */
    public MappedVectors.Region codeRegion(int r) {
        return region(r);
    }

    /** Byte offset of row r in {@link #page(int)}. */
    public int rowOffset(int r) {
        return byteOffset(r);
    }

    /** The pages of codes (whole rows), in order. */
    public ByteBuffer[] codePages() {
        return pages.clone();
    }

    @Override
    public long storedBytes() {
        return (long) rows * cols + 4L * scales.length;
    }

    @Override
    public void widenRow(int row, float[] dst, int dstOffset) {
        ByteBuffer bb = page(row);
        MappedVectors.Region region = region(row);
        int base = byteOffset(row);
        int s0 = row * groups;
        int c = 0;
        if (VECTOR && groupSize % 16 == 0) {
            // One loop without branches: a vector of 16 columns lies inside one group.
            for (int bound = cols - cols % 16; c < bound; c += 16) {
                FloatVector codes = (FloatVector) MappedVectors.bytes(B, region, base + c).castShape(F, 0);
                codes.mul(scales[s0 + c / groupSize]).intoArray(dst, dstOffset + c);
            }
        } else if (VECTOR8 && groupSize % 8 == 0) {
            for (int bound = cols - cols % 8; c < bound; c += 8) {
                FloatVector codes = (FloatVector) MappedVectors.bytes(B8, region, base + c).castShape(F8, 0);
                codes.mul(scales[s0 + c / groupSize]).intoArray(dst, dstOffset + c);
            }
        }
        for (; c < cols; c++) {
            dst[dstOffset + c] = bb.get(base + c) * scales[s0 + c / groupSize];
        }
    }
}
