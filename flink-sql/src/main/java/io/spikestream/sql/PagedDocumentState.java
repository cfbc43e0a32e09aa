package io.spikestream.sql;

import io.spikestream.engine.state.PartStore;
import org.apache.flink.table.api.dataview.MapView;

/**
 * A document's engine state in a process table function's {@link MapView}, in the parts of
 * {@link io.spikestream.engine.state.StateParts} (the Kafka job's layout): key {@value #HEADER} the header,
 * {@code -2 - layer} a GLA layer, {@code layer * 65536 + page} a window page. A row of n tokens rewrites the
 * header, the GLA layers and about n / pageSize + 1 pages per window layer — never the whole window, which is
 * what a 7B-sized state would make every row cost as one value.
 */
final class PagedDocumentState implements PartStore {
    static final int HEADER = -1;
    private static final int PAGES_PER_LAYER = 1 << 16;

    private final MapView<Integer, byte[]> parts;

    PagedDocumentState(MapView<Integer, byte[]> parts) {
        this.parts = parts;
    }

    @Override
    public byte[] header() throws Exception {
        return parts.get(HEADER);
    }

    @Override
    public byte[] gla(int layer) throws Exception {
        return parts.get(glaKey(layer));
    }

    @Override
    public byte[] page(int layer, int page) throws Exception {
        return parts.get(pageKey(layer, page));
    }

    @Override
    public void putHeader(byte[] bytes) throws Exception {
        parts.put(HEADER, bytes);
    }

    @Override
    public void putGla(int layer, byte[] bytes) throws Exception {
        parts.put(glaKey(layer), bytes);
    }

    @Override
    public void putPage(int layer, int page, byte[] bytes) throws Exception {
        parts.put(pageKey(layer, page), bytes);
    }

    /** Every part removed (an expired document starts anew). */
    void clear() {
        parts.clear();
    }

    static int glaKey(int layer) {
        return -2 - layer;
    }

    static int pageKey(int layer, int page) {
        if (page >= PAGES_PER_LAYER) {
            throw new IllegalArgumentException("page " + page + " exceeds " + PAGES_PER_LAYER + " pages per layer");
        }
        return layer * PAGES_PER_LAYER + page;
    }
}
