package io.spikestream.engine.safetensors;

import java.util.Arrays;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name   tensor name
 * @param dtype  element type
 * @param shape  dimensions (row-major)
 * @param offset absolute byte offset of the data in {@code file}
 * @param length data length in bytes
 * @param file   the file that holds the data
 */
public record TensorInfo(String name, DType dtype, long[] shape, long offset, long length, SafetensorsFile file) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }
}
