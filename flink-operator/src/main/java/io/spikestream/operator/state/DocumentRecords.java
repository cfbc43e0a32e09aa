package io.spikestream.operator.state;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.io.IOException;

/**
 * The current key's {@link DocumentRecord} in keyed state. A document last written by the 0.1 release has a
 * {@link DocumentMeta} ({@code meta}) instead: it is read once, split into the parts, and removed — so
 * savepoints and checkpoints of 0.1 restore into this operator (StateMigrationTest).
 *
 * <p>It keeps {@link OpenDocuments} up to date: a record stored active that was not counted is counted, one that
 * stops being active (ended, rejected, removed) is not any more. A 0.1 document is counted once it is stored here.
 */
public final class DocumentRecords {
    private final ValueState<DocumentRecord> records;
    private final ValueState<DocumentMeta> legacy;
    private final OpenDocuments open;

    public DocumentRecords(RuntimeContext context, OpenDocuments open) {
        this.open = open;
        records = context.getState(descriptor());
        legacy = context.getState(new ValueStateDescriptor<>("meta", TypeInformation.of(DocumentMeta.class)));
    }

    /** The keyed value that holds every document's record. */
    public static ValueStateDescriptor<DocumentRecord> descriptor() {
        return new ValueStateDescriptor<>("document", TypeInformation.of(DocumentRecord.class));
    }

    /** The current document's record, or null when it has none. */
    public DocumentRecord get() throws IOException {
        DocumentRecord r = records.value();
        if (r != null) {
            r.counted = r.lifetime.status == LifetimeState.ACTIVE;
            return r;
        }
        DocumentMeta old = legacy.value();
        if (old == null) {
            return null;
        }
        r = DocumentRecord.migrate(old);
        records.update(r);
        legacy.clear();
        return r;
    }

    public void put(DocumentRecord r) throws IOException {
        boolean active = r.lifetime.status == LifetimeState.ACTIVE;
        if (active != r.counted) {
            open.add(active ? 1 : -1);
            r.counted = active;
        }
        records.update(r);
    }

    /** Removes the current document's record {@code r}. */
    public void clear(DocumentRecord r) {
        if (r.counted) {
            open.add(-1);
            r.counted = false;
        }
        records.clear();
        legacy.clear();
    }
}
