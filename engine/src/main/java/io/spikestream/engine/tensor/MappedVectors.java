package io.spikestream.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /**
     * A weight buffer prepared for vector loads once, rather than on every load: on JDK 25 its
     * {@code MemorySegment} (making one per load cost more than the load itself: decode spent most of its time
     * in {@code MemorySegment.ofBuffer}); here the buffer itself.
     */
    public static final class Region {
        final ByteBuffer buffer;

        private Region(ByteBuffer buffer) {
            this.buffer = buffer;
        }
    }

    public static Region region(ByteBuffer buffer) {
        return new Region(buffer);
    }

    public static ByteVector bytes(VectorSpecies<Byte> species, Region region, int offset) {
        return ByteVector.fromByteBuffer(species, region.buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static ShortVector shorts(VectorSpecies<Short> species, Region region, int offset) {
        return ShortVector.fromByteBuffer(species, region.buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static FloatVector floats(VectorSpecies<Float> species, Region region, int offset) {
        return FloatVector.fromByteBuffer(species, region.buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }

    public static IntVector ints(VectorSpecies<Integer> species, Region region, int offset) {
        return IntVector.fromByteBuffer(species, region.buffer, offset, ByteOrder.LITTLE_ENDIAN);
    }
}
