package io.spikestream.operator.state;

import java.util.Arrays;

/** Records read in arrival order: per partition, the last offset applied ({@code RecordOrder} owns it). A Flink POJO. */
public class OffsetState {
    public int[] partitions = new int[0];
    public long[] offsets = new long[0];
    public long duplicates;

    public OffsetState() {
    }

    /** The last offset applied from {@code partition}, or -1. */
    public long applied(int partition) {
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                return offsets[i];
            }
        }
        return -1;
    }

    public void markApplied(int partition, long offset) {
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                offsets[i] = offset;
                return;
            }
        }
        partitions = Arrays.copyOf(partitions, partitions.length + 1);
        offsets = Arrays.copyOf(offsets, offsets.length + 1);
        partitions[partitions.length - 1] = partition;
        offsets[offsets.length - 1] = offset;
    }
}
