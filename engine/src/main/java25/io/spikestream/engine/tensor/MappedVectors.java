package io.spikestream.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Vector loads from (memory-mapped) little-endian weight buffers, JDK 25 version: through
 * {@code MemorySegment}, which replaced {@code fromByteBuffer} in the Vector API (see the JDK 17 version).
 */
public final class MappedVectors {
    /**
     * The segment of the buffer read last: a kernel reads one page many times in a row, and a segment per
     * load allocated objects C2 did not remove (~4% of a small model's profile). Immutable, so a thread
     * that sees another's pair sees it whole; a pair for another buffer is just replaced.
     */
    private record Last(ByteBuffer buffer, MemorySegment segment) {
    }

    private static Last last = new Last(null, null);

    private MappedVectors() {
    }

    private static MemorySegment segment(ByteBuffer buffer) {
        Last l = last;
        if (l.buffer() != buffer) {
            l = new Last(buffer, MemorySegment.ofBuffer(buffer));
            last = l;
        }
        return l.segment();
    }

    public static ByteVector bytes(VectorSpecies<Byte> species, ByteBuffer buffer, int offset) {
        return ByteVector.fromMemorySegment(species, segment(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static ShortVector shorts(VectorSpecies<Short> species, ByteBuffer buffer, int offset) {
        return ShortVector.fromMemorySegment(species, segment(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatVector floats(VectorSpecies<Float> species, ByteBuffer buffer, int offset) {
        return FloatVector.fromMemorySegment(species, segment(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }
}
