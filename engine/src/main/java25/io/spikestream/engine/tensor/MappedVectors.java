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
    private MappedVectors() {
    }

    public static ByteVector bytes(VectorSpecies<Byte> species, ByteBuffer buffer, int offset) {
        return ByteVector.fromMemorySegment(species, MemorySegment.ofBuffer(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static ShortVector shorts(VectorSpecies<Short> species, ByteBuffer buffer, int offset) {
        return ShortVector.fromMemorySegment(species, MemorySegment.ofBuffer(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatVector floats(VectorSpecies<Float> species, ByteBuffer buffer, int offset) {
        return FloatVector.fromMemorySegment(species, MemorySegment.ofBuffer(buffer), offset, ByteOrder.LITTLE_ENDIAN);
    }
}
