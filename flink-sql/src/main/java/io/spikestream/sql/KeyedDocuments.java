package io.spikestream.sql;

import io.spikestream.engine.Engine;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.MissingStatePartException;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.engine.state.StateParts;
import io.spikestream.operator.engine.SharedEngines;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What {@code score_lines} and {@code score_paragraphs} share: the model, loaded once per TaskManager; each
 * {@code PARTITION BY} key's engine state in the function's managed state, paged ({@link PagedDocumentState});
 * and the decoded states of the most recently used keys, so that an active document is not re-read for every row.
 */
final class KeyedDocuments {
    /** Ring slots per stored window page (the Kafka job's default). */
    static final int PAGE_SIZE = 64;
    /** Decoded states kept. */
    static final int CACHED_DOCUMENTS = 64;

    private final String function;
    private Engine engine;
    private String modelDir;
    private final Map<String, DocumentState> cache = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DocumentState> eldest) {
            return size() > CACHED_DOCUMENTS;
        }
    };

    /** @param function the SQL name, for messages */
    KeyedDocuments(String function) {
        this.function = function;
    }

    /**
     * Scores a row's text into its key's document, line by line from the document's next line, and writes what
     * changed; null for a NULL text. What no restart can cure — a model that cannot load, a malformed argument
     * ({@code prepare} checks the function's own), a text column that is not text — stops the job with the reason
     * ({@link SuppressRestartsException}) instead of restarting it forever.
     */
    LineScorer.Scored advance(ProcessTableFunction.Context ctx, Row input, String textColumn, String model, String stateTtl,
            ScoreLines.Progress progress, MapView<Integer, byte[]> engineState, Runnable prepare) throws Exception {
        Engine e;
        Object value;
        long ttlMs;
        try {
            e = engine(model);
            prepare.run();
            ttlMs = StateTtl.parse(stateTtl).toMillis();
            value = field(input, textColumn);
        } catch (RuntimeException refused) {
            throw new SuppressRestartsException(refused);
        }
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw new SuppressRestartsException(new ValidationException(function + ": text_column '" + textColumn + "' must be a STRING column, got "
                    + value.getClass().getSimpleName()));
        }
        PagedDocumentState parts = new PagedDocumentState(engineState);
        DocumentState doc = document(ctx, input, progress, parts, ttlMs);
        long start = doc.position();
        LineScorer.Scored scored = LineScorer.advance(e, doc, text, progress.lines);
        save(doc, start, progress, parts, ttlMs);
        progress.lines += scored.lines().size();
        progress.tokens = doc.position();
        return scored;
    }

    /** The model of the call, loaded on first use; a missing directory or tokenizer is a {@link ValidationException}. */
    private Engine engine(String model) {
        if (engine != null) {
            if (!model.equals(modelDir)) {
                throw new ValidationException(function + ": one call has one model, got " + modelDir + " and " + model);
            }
            return engine;
        }
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) {
            throw new ValidationException(function + ": model directory " + dir.toAbsolutePath() + " does not exist on this TaskManager");
        }
        Engine loaded = SharedEngines.acquire(dir, Runtime.getRuntime().availableProcessors());
        if (loaded.tokenizer().isEmpty()) {
            SharedEngines.release(loaded);
            throw new ValidationException(function + ": the model in " + dir + " has no tokenizer files (vocab.json + merges.txt, or tokenizer.json)");
        }
        engine = loaded;
        modelDir = model;
        return engine;
    }

    /** The key's document: the cached state when it is where the progress says, else the stored one. */
    private DocumentState document(ProcessTableFunction.Context ctx, Row input, ScoreLines.Progress progress, PagedDocumentState parts, long ttlMs)
            throws Exception {
        String key = partitionKey(ctx, input);
        DocumentState doc = cache.get(key);
        if (doc == null || doc.position() != progress.tokens) {
            doc = stored(progress, parts, ttlMs);
            cache.put(key, doc);
        }
        return doc;
    }

    /** Writes what the document's last advance (from position {@code start}) changed; with a TTL, every part now and then. */
    private void save(DocumentState doc, long start, ScoreLines.Progress progress, PagedDocumentState parts, long ttlMs) throws Exception {
        long now = System.currentTimeMillis();
        if (ttlMs > 0 && now - progress.fullWriteMs > ttlMs / 10) {
            // parts a row does not touch must not expire under a document that is still read: all rewritten at
            // least every tenth of the TTL
            StateParts.saveAll(doc, parts, PAGE_SIZE);
            progress.fullWriteMs = now;
        } else {
            StateParts.save(doc, parts, start, doc.position() - start, PAGE_SIZE);
        }
    }

    /**
     * The document's state as stored. With a TTL its parts expire one by one: a document idle for about the TTL
     * (at least 0.9 of it) may have lost some, and is then forgotten as a wholly expired one would be.
     */
    private DocumentState stored(ScoreLines.Progress progress, PagedDocumentState parts, long ttlMs) throws Exception {
        DocumentState doc;
        try {
            doc = StateParts.load(engine.newDocument(), parts, PAGE_SIZE);
        } catch (MissingStatePartException missing) {
            if (ttlMs == 0) {
                throw new StateFormatException(function + ": " + missing.getMessage() + ", and the state has no TTL");
            }
            doc = null;
        }
        if (doc != null && doc.position() == progress.tokens) {
            return doc;
        }
        if (ttlMs == 0) {
            throw new StateFormatException("engine state is at position " + (doc == null ? "?" : doc.position()) + " but "
                    + progress.tokens + " tokens were applied");
        }
        parts.clear();
        progress.forget();
        return engine.newDocument();
    }

    /** The partition key's values, as one string (the cache's key). */
    private static String partitionKey(ProcessTableFunction.Context ctx, Row input) {
        StringBuilder key = new StringBuilder();
        for (int i : ctx.tableSemanticsFor("input").partitionByColumns()) {
            key.append(input.getField(i)).append('\u0000');
        }
        return key.toString();
    }

    /** The value of the text column; an unknown column is a {@link ValidationException}. */
    private Object field(Row input, String column) {
        Set<String> names = input.getFieldNames(true);
        if (names == null || !names.contains(column)) {
            throw new ValidationException(function + ": the input has no column '" + column + "' (text_column); its columns: " + names);
        }
        return input.getField(column);
    }

    void close() {
        if (engine != null) {
            SharedEngines.release(engine);
            engine = null;
        }
    }
}
