package io.spikestream.operator.state;

import io.spikestream.engine.Engine;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateFormatException;
import org.apache.flink.api.common.functions.RuntimeContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The documents' engine states: stored in pages ({@link DocumentStore}), with the decoded states of the most
 * recently used documents kept in memory so that an active document is not re-read for every element.
 */
public final class EngineStates {
    private final DocumentStore store;
    private final Map<String, DocumentState> cache;

    public EngineStates(RuntimeContext context, Engine engine, int pageSize, int cachedDocuments) {
        this.store = new DocumentStore(context, engine, pageSize);
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, DocumentState> eldest) {
                return size() > cachedDocuments;
            }
        };
    }

    /** The current key's ({@code docId}'s) state, which must stand at {@code tokens} tokens applied. */
    public DocumentState load(String docId, long tokens) throws Exception {
        DocumentState cached = cache.get(docId);
        if (cached != null && cached.position() == tokens) {
            return cached;
        }
        DocumentState doc = store.load();
        if (doc.position() != tokens) {
            throw new StateFormatException("engine state is at position " + doc.position() + " but " + tokens + " tokens were applied");
        }
        cache.put(docId, doc);
        return doc;
    }

    /** Stores what {@code n} tokens from {@code start} changed; returns the bytes written. */
    public long save(String docId, DocumentState doc, long start, int n) throws Exception {
        long written = store.save(doc, start, n);
        cache.put(docId, doc);
        return written;
    }

    /** Keeps {@code doc} as the current state without writing (an element that added no tokens). */
    public void keep(String docId, DocumentState doc) {
        cache.put(docId, doc);
    }

    public boolean exists() throws Exception {
        return store.exists();
    }

    public void clear(String docId) {
        store.clear();
        cache.remove(docId);
    }
}
