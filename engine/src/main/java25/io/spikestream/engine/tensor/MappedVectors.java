package io.spikestream.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /** A weight buffer's {@code MemorySegment}, made once (see the JDK 17 version). */
    public static final class Region {
        final MemorySegment segment;

        private Region(ByteBuffer buffer) {
            this.segment = MemorySegment.ofBuffer(buffer);
        }
    }

    public static Region region(ByteBuffer buffer) {
        return new Region(buffer);
    }

    public static ByteVector bytes(VectorSpecies<Byte> species, Region region, int offset) {
        return ByteVector.fromMemorySegment(species, region.segment, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static ShortVector shorts(VectorSpecies<Short> species, Region region, int offset) {
        return ShortVector.fromMemorySegment(species, region.segment, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatVector floats(VectorSpecies<Float> species, Region region, int offset) {
        return FloatVector.fromMemorySegment(species, region.segment, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static IntVector ints(VectorSpecies<Integer> species, Region region, int offset) {
        return IntVector.fromMemorySegment(species, region.segment, offset, ByteOrder.LITTLE_ENDIAN);
    }
}
