package io.spikestream.operator.process;

import io.spikestream.operator.RecordSource;
import io.spikestream.operator.state.OffsetState;

/**
 * Records in arrival order: per partition of their source, an offset at or below the last one applied is a
 * replay (a duplicate, dropped and counted). Records without a source are applied as they come. Owns
 * {@link OffsetState}.
 */
final class RecordOrder {
    private RecordOrder() {
    }

    /** Whether the record at {@code source} must be applied; marks it applied when it must. */
    static boolean accept(OffsetState s, RecordSource source) {
        if (source == null) {
            return true;
        }
        if (source.offset() <= s.applied(source.partition())) {
            s.duplicates++;
            return false;
        }
        s.markApplied(source.partition(), source.offset());
        return true;
    }
}
