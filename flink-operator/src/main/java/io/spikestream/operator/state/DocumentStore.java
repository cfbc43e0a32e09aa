package io.spikestream.operator.state;

import io.spikestream.engine.Engine;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.StateParts;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;

import java.util.BitSet;

/**
 * A document's engine state in Flink keyed state (the current key), stored so that one chunk rewrites only
 * what it changed:
 * <ul>
 *   <li>{@code engine-header}: {@link StateParts#header} (position, last hidden vector, tokenizer tail, model);</li>
 *   <li>{@code gla}: layer → {@link StateParts#gla}, rewritten every chunk (constant size);</li>
 *   <li>{@code kv-pages}: (layer, page) → {@link StateParts#windowPage}; a chunk of n tokens rewrites about
 *       n / pageSize + 1 pages per sliding-window layer, never the whole window.</li>
 * </ul>
 * Corrupt or foreign parts make {@link #load} throw {@link io.spikestream.engine.state.StateFormatException}.
 */
public final class DocumentStore {
    /** Key of a window page in {@code kv-pages}: layer in the high bits. */
    private static final int PAGES_PER_LAYER_LIMIT = 1 << 16;

    private final ValueState<byte[]> header;
    private final MapState<Integer, byte[]> gla;
    private final MapState<Integer, byte[]> pages;
    private final Engine engine;
    private final int pageSize;

    public DocumentStore(RuntimeContext context, Engine engine, int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be >= 1 slot, got " + pageSize);
        }
        this.engine = engine;
        this.pageSize = pageSize;
        this.header = context.getState(new ValueStateDescriptor<>("engine-header", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        this.gla = context.getMapState(new MapStateDescriptor<>("gla", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        this.pages = context.getMapState(new MapStateDescriptor<>("kv-pages", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    public int pageSize() {
        return pageSize;
    }

    /** Whether the current key has an engine state. */
    public boolean exists() throws Exception {
        return header.value() != null;
    }

    /** Reassembles the current key's state, or a new document's if it has none. */
    public DocumentState load() throws Exception {
        DocumentState s = engine.newDocument();
        byte[] h = header.value();
        if (h == null) {
            return s;
        }
        StateParts.restoreHeader(h, s);
        for (int layer = 0; layer < s.layers(); layer++) {
            if (s.gla(layer) != null) {
                byte[] part = gla.get(layer);
                if (part == null && s.position() > 0) {
                    throw new io.spikestream.engine.state.StateFormatException("GLA state of layer " + layer + " is missing");
                }
                if (part != null) {
                    StateParts.restoreGla(part, s, layer);
                }
            } else {
                int count = StateParts.pageCount(s, layer, pageSize);
                for (int page = 0; page < count; page++) {
                    byte[] part = pages.get(pageKey(layer, page));
                    if (part != null) {
                        StateParts.restoreWindowPage(part, s, layer, page, pageSize);
                    }
                }
            }
        }
        return s;
    }

    /**
     * Writes what a chunk of {@code n} tokens starting at {@code startPosition} changed (the header, every
     * GLA layer, the window pages it touched). Returns the bytes written.
     */
    public long save(DocumentState s, long startPosition, int n) throws Exception {
        byte[] h = StateParts.header(s);
        header.update(h);
        long written = h.length;
        if (n == 0) {
            return written;
        }
        for (int layer = 0; layer < s.layers(); layer++) {
            if (s.gla(layer) != null) {
                byte[] part = StateParts.gla(s, layer);
                gla.put(layer, part);
                written += part.length;
            } else {
                BitSet touched = StateParts.touchedPages(startPosition, n, s.window(layer).window(), pageSize);
                for (int page = touched.nextSetBit(0); page >= 0; page = touched.nextSetBit(page + 1)) {
                    byte[] part = StateParts.windowPage(s, layer, page, pageSize);
                    pages.put(pageKey(layer, page), part);
                    written += part.length;
                }
            }
        }
        return written;
    }

    public void clear() {
        header.clear();
        gla.clear();
        pages.clear();
    }

    private static int pageKey(int layer, int page) {
        if (page >= PAGES_PER_LAYER_LIMIT) {
            throw new IllegalArgumentException("page " + page + " exceeds " + PAGES_PER_LAYER_LIMIT + " pages per layer");
        }
        return layer * PAGES_PER_LAYER_LIMIT + page;
    }
}
