package io.spikestream.sql;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.MissingStatePartException;
import io.spikestream.engine.state.StateCodec;
import io.spikestream.engine.state.StateParts;
import org.apache.flink.table.api.dataview.MapView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The paged layout (StateParts) in a MapView: what is saved loads to the same bits; a state missing a part it needs is refused. */
class PagedDocumentStateTest {
    static final Path MODEL = Path.of("../models/demo-logs").toAbsolutePath().normalize();
    static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.load(MODEL, new EngineOptions(1));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** A document advanced in steps of {@code step} tokens, each step's parts saved as score_lines saves them. */
    static DocumentState advanced(MapView<Integer, byte[]> parts, int tokens, int step) throws Exception {
        DocumentState doc = engine.newDocument();
        for (int done = 0; done < tokens; done += step) {
            int n = Math.min(step, tokens - done);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = 100 + (done + i) * 37 % 900;
            }
            long start = doc.position();
            engine.advance(doc, ids);
            StateParts.save(doc, new PagedDocumentState(parts), start, n, ScoreLines.PAGE_SIZE);
        }
        return doc;
    }

    @Test
    void theSavedPartsLoadToTheSameStateAfterAnyNumberOfTokens() throws Exception {
        for (int tokens : new int[] {1, 63, 64, 65, 700, 3000}) {
            MapView<Integer, byte[]> parts = new MapView<>();
            DocumentState doc = advanced(parts, tokens, 17);
            DocumentState loaded = load(parts);
            assertThat(StateCodec.encode(loaded)).as(tokens + " tokens").isEqualTo(StateCodec.encode(doc));
            // and every part written at once gives the same parts
            MapView<Integer, byte[]> all = new MapView<>();
            StateParts.saveAll(doc, new PagedDocumentState(all), ScoreLines.PAGE_SIZE);
            assertThat(StateCodec.encode(load(all))).isEqualTo(StateCodec.encode(doc));
            assertThat(all.getMap().keySet()).isEqualTo(parts.getMap().keySet());
        }
    }

    @Test
    void aStateMissingAGlaLayerOrAWindowPageThatHoldsTokensIsRefused() throws Exception {
        MapView<Integer, byte[]> parts = new MapView<>();
        advanced(parts, 3000, 50);
        List<Integer> keys = new ArrayList<>(parts.getMap().keySet());
        assertThat(keys).contains(PagedDocumentState.HEADER, -2).anyMatch(k -> k >= 0);
        for (int key : keys) {
            if (key == PagedDocumentState.HEADER) {
                continue;
            }
            MapView<Integer, byte[]> partial = new MapView<>();
            partial.getMap().putAll(parts.getMap());
            partial.remove(key);
            assertThatThrownBy(() -> load(partial)).as("without part " + key)
                    .isInstanceOf(MissingStatePartException.class).hasMessageContaining("is missing");
        }
        // no header: a new document
        parts.remove(PagedDocumentState.HEADER);
        assertThat(load(parts).position()).isZero();
    }

    static DocumentState load(MapView<Integer, byte[]> parts) throws Exception {
        return StateParts.load(engine.newDocument(), new PagedDocumentState(parts), ScoreLines.PAGE_SIZE);
    }
}
