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
 *
 * <p>Writes are behind: {@link #advanced} only notes the positions a pass changed; {@link #commit} writes the
 * pages they touched once, however many passes a bundle of elements made.
 */
public final class EngineStates {
    private final DocumentStore store;
    private final Map<String, DocumentState> cache;
    /** The current key's state advanced since its last write, and from where; null when nothing waits. */
    private String dirtyDoc;
    private DocumentState dirtyState;
    private long dirtyFrom;
    private String dirtyFromTail;

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
        DocumentState cached = docId.equals(dirtyDoc) ? dirtyState : cache.get(docId);
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

    /**
     * Notes that {@code doc}, the current key's ({@code docId}'s) state, was advanced from position {@code start}
     * and tokenizer tail {@code tail}; it is written by {@link #commit}.
     */
    public void advanced(String docId, DocumentState doc, long start, String tail) {
        cache.put(docId, doc);
        if (dirtyDoc == null) {
            dirtyDoc = docId;
            dirtyState = doc;
            dirtyFrom = start;
            dirtyFromTail = tail;
        } else if (!dirtyDoc.equals(docId) || dirtyState != doc) {
            throw new IllegalStateException("document " + docId + " advanced while " + dirtyDoc + " waits to be written");
        }
    }

    /**
     * Writes what the passes since the last write changed (the header, every GLA layer, the window pages their
     * positions touched); returns the bytes written, 0 when nothing waited.
     */
    public long commit() throws Exception {
        if (dirtyDoc == null) {
            return 0;
        }
        DocumentState doc = dirtyState;
        long from = dirtyFrom;
        dirtyDoc = null;
        dirtyState = null;
        if (doc.position() == from && doc.tokenizerTail().equals(dirtyFromTail)) {
            return 0; // nothing changed (elements without tokens)
        }
        return store.save(doc, from, Math.toIntExact(Math.min(Integer.MAX_VALUE, doc.position() - from)));
    }

    public boolean exists() throws Exception {
        return store.exists();
    }

    /** Drops the current key's state, stored or waiting to be. */
    public void clear(String docId) {
        store.clear();
        cache.remove(docId);
        if (docId.equals(dirtyDoc)) {
            dirtyDoc = null;
            dirtyState = null;
        }
    }
}
