package io.spikestream.engine.tensor;

import io.spikestream.engine.safetensors.CheckpointException;
import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A weight matrix [rows, cols] in its stored format (PyTorch {@code Linear} layout: [out, in]).
 *
 * <p>Data stays in its checkpoint dtype, memory-mapped or on the heap, in pages that each hold whole rows
 * (a single buffer cannot exceed 2 GB). Kernels widen rows to float32 just before using them; widening is
 * exact for every supported format, so results do not depend on the storage format's code path.
 */
public abstract sealed class Matrix permits F32Matrix, BF16Matrix, F16Matrix, Q8Matrix {
    /** Largest mapping per page; a page holds whole rows. */
    static final long MAX_PAGE_BYTES = 1L << 30;

    protected final int rows;
    protected final int cols;
    protected final ByteBuffer[] pages;
    protected final int rowsPerPage;
    protected final int rowBytes;
    /** The pages prepared for vector loads, once. */
    private final MappedVectors.Region[] regions;
    /** Largest matrix kept as a float32 copy by {@link #floats()} (4 MB). */
    public static final long FLOAT_COPY_ELEMENTS = 1 << 20;
    private volatile float[] floats;

    protected Matrix(int rows, int cols, ByteBuffer[] pages, int elementBytes) {
        this.rows = rows;
        this.cols = cols;
        this.pages = pages;
        this.rowBytes = cols * elementBytes;
        this.rowsPerPage = rowBytes == 0 ? rows : (int) Math.max(1, MAX_PAGE_BYTES / rowBytes);
        this.regions = new MappedVectors.Region[pages.length];
        for (int p = 0; p < pages.length; p++) {
            regions[p] = MappedVectors.region(pages[p]);
        }
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public abstract DType dtype();

    /** Bytes this matrix occupies in its stored format. */
    public long storedBytes() {
        return (long) rows * rowBytes;
    }

    /** Writes row {@code row} as {@link #cols()} floats to {@code dst[dstOffset ...]}. */
    public abstract void widenRow(int row, float[] dst, int dstOffset);

    /**
     * The whole matrix widened to float32, row-major, for a matrix of at most {@link #FLOAT_COPY_ELEMENTS}
     * elements (else null), made on first use: a small model's matrices are multiplied thousands of times a
     * second, and widening them every time cost ~4% of its profile. Widening is exact, so the copy changes
     * no result.
     */
    public final float[] floats() {
        float[] f = floats;
        if (f == null && keepsFloats()) {
            f = new float[rows * cols];
            widenRows(0, rows, f, 0);
            floats = f; // two threads may both widen: the copies are equal
        }
        return f;
    }

    /** Whether {@link #floats()} keeps a float32 copy of this matrix (it is small enough). */
    public final boolean keepsFloats() {
        return (long) rows * cols <= FLOAT_COPY_ELEMENTS;
    }

    /** Widens {@code count} consecutive rows into {@code dst}, row-major with stride {@link #cols()}. */
    public final void widenRows(int row, int count, float[] dst, int dstOffset) {
        for (int r = 0; r < count; r++) {
            widenRow(row + r, dst, dstOffset + r * cols);
        }
    }

    /** One element, widened (for tests and diagnostics). */
    public final float get(int row, int col) {
        float[] tmp = new float[cols];
        widenRow(row, tmp, 0);
        return tmp[col];
    }

    protected final ByteBuffer page(int row) {
        return pages[row / rowsPerPage];
    }

    /** {@link #page(int)} prepared for vector loads. */
    protected final MappedVectors.Region region(int row) {
        return regions[row / rowsPerPage];
    }

    protected final int byteOffset(int row) {
        return (row % rowsPerPage) * rowBytes;
    }

    /** Maps a 2-D checkpoint tensor; its shape must already have been checked. */
    public static Matrix map(TensorInfo info) {
        if (info.shape().length != 2) {
            throw new CheckpointException("tensor '" + info.name() + "' is not a matrix: shape " + info.shapeString());
        }
        int rows = Math.toIntExact(info.shape()[0]);
        int cols = Math.toIntExact(info.shape()[1]);
        long rowBytes = (long) cols * info.dtype().bytes();
        ByteBuffer[] pages = info.file().map(info.offset(), info.length(), rowBytes, MAX_PAGE_BYTES);
        return wrap(info.dtype(), rows, cols, pages, info.name());
    }

    /** Encodes float values into a heap matrix of the given format (tests, generated weights). */
    public static Matrix fromFloats(DType dtype, int rows, int cols, float[] values) {
        if (values.length != (long) rows * cols) {
            throw new IllegalArgumentException("expected " + (long) rows * cols + " values, got " + values.length);
        }
        return build(dtype, rows, cols, i -> values[(int) i]);
    }

    /**
     * A matrix of uniform values in [-scale, scale) that depend only on (seed, row, column): benchmark models
     * of any size are generated quickly, without a float[] copy, and identically on every run.
     */
    public static Matrix random(DType dtype, int rows, int cols, long seed, float scale) {
        return build(dtype, rows, cols, i -> uniform(seed, i) * scale);
    }

    /** The value of element {@code index} (row-major) of a matrix being built. */
    @FunctionalInterface
    private interface Values {
        float at(long index);
    }

    private static Matrix build(DType dtype, int rows, int cols, Values values) {
        long rowBytes = (long) cols * dtype.bytes();
        int rowsPerPage = (int) Math.max(1, MAX_PAGE_BYTES / Math.max(1, rowBytes));
        int pageCount = Math.max(1, (rows + rowsPerPage - 1) / rowsPerPage);
        ByteBuffer[] pages = new ByteBuffer[pageCount];
        for (int p = 0; p < pageCount; p++) {
            int r0 = p * rowsPerPage;
            int r1 = Math.min(rows, r0 + rowsPerPage);
            ByteBuffer page = ByteBuffer.allocateDirect((int) ((r1 - r0) * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = (long) r0 * cols; i < (long) r1 * cols; i++) {
                float v = values.at(i);
                switch (dtype) {
                    case F32 -> page.putFloat(v);
                    case BF16 -> page.putShort(BF16Matrix.encode(v));
                    case F16 -> page.putShort(F16Matrix.encodeHalf(v));
                    default -> throw new IllegalArgumentException("unsupported weight dtype " + dtype);
                }
            }
            page.flip();
            pages[p] = page;
        }
        return wrap(dtype, rows, cols, pages, "generated");
    }

    /**
     * A heap copy of {@code src} in another float format, streamed row by row (no float[] of the whole
     * matrix). Exact when every value is representable in {@code dtype} (see {@link #representableInBf16}).
     */
    public static Matrix convert(Matrix src, DType dtype) {
        int rows = src.rows();
        int cols = src.cols();
        long rowBytes = (long) cols * dtype.bytes();
        int rowsPerPage = (int) Math.max(1, MAX_PAGE_BYTES / Math.max(1, rowBytes));
        int pageCount = Math.max(1, (rows + rowsPerPage - 1) / rowsPerPage);
        ByteBuffer[] pages = new ByteBuffer[pageCount];
        float[] row = new float[cols];
        for (int p = 0; p < pageCount; p++) {
            int r0 = p * rowsPerPage;
            int r1 = Math.min(rows, r0 + rowsPerPage);
            ByteBuffer page = ByteBuffer.allocate((int) ((r1 - r0) * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = r0; r < r1; r++) {
                src.widenRow(r, row, 0);
                for (float v : row) {
                    switch (dtype) {
                        case F32 -> page.putFloat(v);
                        case BF16 -> page.putShort(BF16Matrix.encode(v));
                        case F16 -> page.putShort(F16Matrix.encodeHalf(v));
                        default -> throw new IllegalArgumentException("unsupported weight dtype " + dtype);
                    }
                }
            }
            page.flip();
            pages[p] = page;
        }
        return wrap(dtype, rows, cols, pages, "converted");
    }

    /** Whether every value of the matrix is exactly a bfloat16 (its low 16 bits are zero). */
    public static boolean representableInBf16(Matrix m) {
        if (m.dtype() == DType.BF16) {
            return true;
        }
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.widenRow(r, row, 0);
            for (float v : row) {
                if ((Float.floatToRawIntBits(v) & 0xFFFF) != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A value in [-1, 1) from (seed, index) by the SplitMix64 finalizer. */
    public static float uniform(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return ((z >>> 40) * 0x1p-24f) * 2f - 1f;
    }

    private static Matrix wrap(DType dtype, int rows, int cols, ByteBuffer[] pages, String name) {
        return switch (dtype) {
            case F32 -> new F32Matrix(rows, cols, pages);
            case BF16 -> new BF16Matrix(rows, cols, pages);
            case F16 -> new F16Matrix(rows, cols, pages);
            default -> throw new CheckpointException("tensor '" + name + "' has dtype " + dtype + "; weights must be F32, BF16 or F16");
        };
    }

    /** Reads a 1-D tensor (norm weights, biases) fully onto the heap as floats. */
    public static float[] readVector(TensorInfo info) {
        int n = Math.toIntExact(info.elementCount());
        Matrix m = wrap(info.dtype(), 1, n,
                new ByteBuffer[] {ByteBuffer.wrap(info.file().read(info.offset(), Math.toIntExact(info.length())))
                        .order(ByteOrder.LITTLE_ENDIAN)}, info.name());
        float[] out = new float[n];
        m.widenRow(0, out, 0);
        return out;
    }
}
