package io.spikestream.operator.state;

import io.spikestream.engine.Engine;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.PartStore;
import io.spikestream.engine.state.StateParts;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;

/**
 * A document's engine state in Flink keyed state (the current key), stored so that one chunk rewrites only
 * what it changed:
 * <ul>
 *   <li>{@code engine-header}: {@link StateParts#header} (position, last hidden vector, tokenizer tail, model);</li>
 *   <li>{@code gla}: layer → {@link StateParts#gla}, rewritten every chunk (constant size);</li>
 *   <li>{@code kv-pages}: (layer, page) → {@link StateParts#windowPage}; a chunk of n tokens rewrites about
 *       n / pageSize + 1 pages per sliding-window layer, never the whole window.</li>
 * </ul>
 * Corrupt, foreign or missing parts make {@link #load} throw {@link io.spikestream.engine.state.StateFormatException}.
 */
public final class DocumentStore {
    /** Key of a window page in {@code kv-pages}: layer in the high bits. */
    private static final int PAGES_PER_LAYER_LIMIT = 1 << 16;

    private final ValueState<byte[]> header;
    private final MapState<Integer, byte[]> gla;
    private final MapState<Integer, byte[]> pages;
    private final Engine engine;
    private final int pageSize;
    private final PartStore parts = new PartStore() {
        @Override
        public byte[] header() throws Exception {
            return header.value();
        }

        @Override
        public byte[] gla(int layer) throws Exception {
            return gla.get(layer);
        }

        @Override
        public byte[] page(int layer, int page) throws Exception {
            return pages.get(pageKey(layer, page));
        }

        @Override
        public void putHeader(byte[] bytes) throws Exception {
            header.update(bytes);
        }

        @Override
        public void putGla(int layer, byte[] bytes) throws Exception {
            gla.put(layer, bytes);
        }

        @Override
        public void putPage(int layer, int page, byte[] bytes) throws Exception {
            pages.put(pageKey(layer, page), bytes);
        }
    };

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
        return StateParts.load(engine.newDocument(), parts, pageSize);
    }

    /**
     * Writes what a chunk of {@code n} tokens starting at {@code startPosition} changed (the header, every
     * GLA layer, the window pages it touched). Returns the bytes written.
     */
    public long save(DocumentState s, long startPosition, int n) throws Exception {
        return StateParts.save(s, parts, startPosition, n, pageSize);
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
