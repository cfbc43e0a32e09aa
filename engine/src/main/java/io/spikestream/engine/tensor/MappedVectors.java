package io.spikestream.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Vector loads from (memory-mapped) little-endian weight buffers. JDK 17 reads buffers directly
 * ({@code fromByteBuffer}); newer JDKs read them through {@code MemorySegment}, which replaced it: the
 * engine jar is multi-release and carries that version in {@code META-INF/versions/25}. The two load the
 * same bytes, so the kernels give the same bits on either JDK.
 */
public final class MappedVectors {
    private MappedVectors() {
    }

    public static ByteVector bytes(VectorSpecies<Byte> species, ByteBuffer buffer, int offset) {
        return ByteVector.fromByteBuffer(species, buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static ShortVector shorts(VectorSpecies<Short> species, ByteBuffer buffer, int offset) {
        return ShortVector.fromByteBuffer(species, buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatVector floats(VectorSpecies<Float> species, ByteBuffer buffer, int offset) {
        return FloatVector.fromByteBuffer(species, buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }
}
