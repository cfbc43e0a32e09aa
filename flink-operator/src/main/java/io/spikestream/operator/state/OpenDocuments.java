package io.spikestream.operator.state;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * How many documents are open (active: neither ended, rejected nor expired) on this subtask, kept with the
 * checkpoint in operator state ({@code documents-open}) so that the count survives restores. After a rescale a
 * subtask's count may be off by the documents that moved, but the counts of all subtasks add up to the job's.
 */
public final class OpenDocuments {
    private final ListState<Long> stored;
    private long count;

    private OpenDocuments(ListState<Long> stored, long count) {
        this.stored = stored;
        this.count = count;
    }

    /** The count this subtask restores (0 when the job starts fresh, or from a release that did not count). */
    public static OpenDocuments restore(OperatorStateStore store) throws Exception {
        ListState<Long> stored = store.getListState(new ListStateDescriptor<>("documents-open", Types.LONG));
        long count = 0;
        for (Long c : stored.get()) {
            count += c;
        }
        return new OpenDocuments(stored, count);
    }

    /** Not kept (the harness' and tests' operators without operator state). */
    public static OpenDocuments unkept() {
        return new OpenDocuments(null, 0);
    }

    public long count() {
        return count;
    }

    void add(long delta) {
        count += delta;
    }

    public void snapshot() throws Exception {
        if (stored != null) {
            stored.update(java.util.List.of(count));
        }
    }
}
