package io.spikestream.engine.state;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.testing.ExpectedOutputs;
import io.spikestream.engine.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StatePartsTest {
    private static final int PAGE = 2;
    private static Engine engine;
    private static int[] tokens;

    @BeforeAll
    static void load() {
        engine = Engine.load(TestData.tinyBf16Sharded(), new EngineOptions(1));
        tokens = ExpectedOutputs.read(TestData.tinyBf16Sharded()).tokens();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Parts written chunk by chunk (only what each chunk touched) reassemble the exact state. */
    @Test
    void incrementallyWrittenPartsReassembleTheState() {
        Map<String, byte[]> store = new HashMap<>();
        DocumentState doc = engine.newDocument();
        int[] sizes = {1, 3, 2, 7, 1, 9, 5};
        int pos = 0;
        for (int size : sizes) {
            long start = doc.position();
            engine.advance(doc, Arrays.copyOfRange(tokens, pos, pos + size));
            pos += size;
            doc.setTokenizerTail("tail-" + pos);
            store.put("header", StateParts.header(doc));
            for (int layer = 0; layer < doc.layers(); layer++) {
                if (doc.gla(layer) != null) {
                    store.put("gla" + layer, StateParts.gla(doc, layer));
                } else {
                    BitSet touched = StateParts.touchedPages(start, size, doc.window(layer).window(), PAGE);
                    for (int p = touched.nextSetBit(0); p >= 0; p = touched.nextSetBit(p + 1)) {
                        store.put("kv" + layer + "/" + p, StateParts.windowPage(doc, layer, p, PAGE));
                    }
                }
            }
            DocumentState rebuilt = rebuild(store);
            assertThat(StateCodec.encode(rebuilt)).as("after %d tokens", pos).isEqualTo(StateCodec.encode(doc));
        }
    }

    private static DocumentState rebuild(Map<String, byte[]> store) {
        DocumentState s = engine.newDocument();
        StateParts.restoreHeader(store.get("header"), s);
        for (int layer = 0; layer < s.layers(); layer++) {
            if (s.gla(layer) != null) {
                StateParts.restoreGla(store.get("gla" + layer), s, layer);
            } else {
                for (int p = 0; p < StateParts.pageCount(s, layer, PAGE); p++) {
                    byte[] page = store.get("kv" + layer + "/" + p);
                    if (page != null) {
                        StateParts.restoreWindowPage(page, s, layer, p, PAGE);
                    }
                }
            }
        }
        return s;
    }

    @Test
    void aChunkTouchesOnlyThePagesOfItsSlots() {
        // window 7, pages of 2 slots: 0-1, 2-3, 4-5, 6
        assertThat(StateParts.touchedPages(0, 1, 7, 2)).isEqualTo(BitSet.valueOf(new long[] {0b1}));
        assertThat(StateParts.touchedPages(5, 2, 7, 2)).isEqualTo(BitSet.valueOf(new long[] {0b1100}));
        assertThat(StateParts.touchedPages(6, 3, 7, 2)).isEqualTo(BitSet.valueOf(new long[] {0b1001}));
        assertThat(StateParts.touchedPages(100, 50, 7, 2).cardinality()).isEqualTo(4);
    }

    @Test
    void corruptOrMisplacedPartsAreRefused() {
        DocumentState doc = engine.newDocument();
        engine.advance(doc, Arrays.copyOf(tokens, 9));
        byte[] header = StateParts.header(doc);
        byte[] gla = StateParts.gla(doc, 0);
        DocumentState fresh = engine.newDocument();
        byte[] bad = header.clone();
        bad[40] ^= 1;
        assertThatThrownBy(() -> StateParts.restoreHeader(bad, fresh)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("CRC32C");
        StateParts.restoreHeader(header, fresh);
        assertThatThrownBy(() -> StateParts.restoreGla(gla, fresh, 2)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("does not fit layer 2");
        byte[] page = StateParts.windowPage(doc, 1, 0, PAGE);
        assertThatThrownBy(() -> StateParts.restoreWindowPage(page, fresh, 1, 1, PAGE)).isInstanceOf(StateFormatException.class)
                .hasMessageContaining("does not fit page 1");
        try (Engine other = Engine.load(TestData.tinyF32(), new EngineOptions(1))) {
            assertThatThrownBy(() -> StateParts.restoreHeader(header, other.newDocument()))
                    .isInstanceOf(StateFormatException.class).hasMessageContaining("belongs to model");
        }
    }
}
