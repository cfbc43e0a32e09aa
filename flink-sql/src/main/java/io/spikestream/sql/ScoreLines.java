package io.spikestream.sql;

import io.spikestream.engine.Engine;
import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.engine.state.MissingStatePartException;
import io.spikestream.engine.state.StateFormatException;
import io.spikestream.engine.state.StateParts;
import io.spikestream.operator.engine.SharedEngines;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.types.extraction.TypeInferenceExtractor;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code score_lines}: per {@code PARTITION BY} key, the input rows in arrival order are one document; each
 * row's text is split into lines and scored exactly as the Kafka job scores a text record (each line tokenized
 * on its own, one engine pass per row), one output row per line. The document's engine state is the function's
 * managed state, paged ({@link PagedDocumentState}); the model loads once per TaskManager.
 *
 * <pre>{@code
 * SELECT * FROM score_lines(input => TABLE logs PARTITION BY service, text_column => 'message',
 *                           model => '/models/demo-logs', alert_threshold => 'p99.9')
 * }</pre>
 *
 * A NULL text is a row with no lines: it emits nothing and leaves the document as it was.
 */
@DataTypeHint("ROW<line BIGINT, line_text STRING, tokens INT, mean_surprisal DOUBLE, max_surprisal DOUBLE, alert BOOLEAN, threshold DOUBLE>")
public class ScoreLines extends ProcessTableFunction<Row> {
    private static final long serialVersionUID = 1L;
    /** Ring slots per stored window page (the Kafka job's default). */
    static final int PAGE_SIZE = 64;
    private static final Set<String> TEXT_TYPES = Set.of("STRING", "VARCHAR", "CHAR");

    /** Per document: the lines scored so far (the next line's number), the tokens applied, when every part was last written. */
    public static class Progress {
        public long lines;
        public long tokens;
        public long fullWriteMs;
    }

    /** Decoded states of the most recently used documents: an active document is not re-read for every row. */
    static final int CACHED_DOCUMENTS = 64;

    private transient Engine engine;
    private transient String modelDir;
    private transient AlertThreshold threshold;
    private transient Map<String, DocumentState> cache;

    /** The position of {@code state_ttl} among the arguments of {@link #eval}. */
    static final int STATE_TTL_ARGUMENT = 4;

    /** Annotations as extracted, the TTL of the states from {@code state_ttl} ({@link StateTtl}), with the text column checked while the query is planned ({@link TextColumnCheck}). */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        TypeInference t = TypeInferenceExtractor.forProcessTableFunction(typeFactory, (Class) getClass());
        java.util.LinkedHashMap<String, org.apache.flink.table.types.inference.StateTypeStrategy> states = new java.util.LinkedHashMap<>();
        t.getStateTypeStrategies().forEach((name, state) -> states.put(name, new StateTtl(state, STATE_TTL_ARGUMENT)));
        TypeInference.Builder b = TypeInference.newBuilder()
                .inputTypeStrategy(new TextColumnCheck(t.getInputTypeStrategy()))
                .stateTypeStrategies(states)
                .outputTypeStrategy(t.getOutputTypeStrategy())
                .disableSystemArguments(t.disableSystemArguments());
        t.getStaticArguments().ifPresent(b::staticArguments);
        return b.build();
    }

    public void eval(Context ctx,
                     @StateHint Progress progress,
                     @StateHint MapView<Integer, byte[]> engineState,
                     @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                     @ArgumentHint(name = "text_column") String textColumn,
                     @ArgumentHint(name = "model") String model,
                     @ArgumentHint(name = "alert_threshold", isOptional = true) String alertThreshold,
                     @ArgumentHint(name = "state_ttl", isOptional = true) String stateTtl) throws Exception {
        Engine e;
        Object value;
        long ttlMs;
        try {
            e = engine(model, alertThreshold);
            ttlMs = StateTtl.parse(stateTtl).toMillis();
            value = field(input, textColumn);
        } catch (RuntimeException refused) {
            // the same on every attempt: restarting the job cannot help
            throw new SuppressRestartsException(refused);
        }
        if (value == null) {
            return;
        }
        if (!(value instanceof String text)) {
            throw new SuppressRestartsException(new ValidationException("score_lines: text_column '" + textColumn + "' must be a STRING column, got "
                    + value.getClass().getSimpleName()));
        }
        String key = partitionKey(ctx, input);
        DocumentState doc = cache.get(key);
        if (doc == null || doc.position() != progress.tokens) {
            doc = stored(e, progress, engineState, ttlMs);
            cache.put(key, doc);
        }
        long start = doc.position();
        LineScorer.Scored scored = LineScorer.advance(e, doc, text, progress.lines);
        long now = System.currentTimeMillis();
        PagedDocumentState parts = new PagedDocumentState(engineState);
        if (ttlMs > 0 && now - progress.fullWriteMs > ttlMs / 10) {
            // parts a row does not touch must not expire under a document that is still read: all rewritten at
            // least every tenth of the TTL
            StateParts.saveAll(doc, parts, PAGE_SIZE);
            progress.fullWriteMs = now;
        } else {
            StateParts.save(doc, parts, start, doc.position() - start, PAGE_SIZE);
        }
        progress.lines += scored.lines().size();
        progress.tokens = doc.position();
        for (LineScore l : scored.lines()) {
            boolean scoredLine = l.isScored();
            collect(Row.of(l.line(), l.text(), (int) (l.tokenEnd() - l.tokenStart()), scoredLine ? l.mean() : null,
                    scoredLine ? l.max() : null, threshold != null && threshold.exceeded(l), threshold == null ? null : threshold.value()));
        }
    }

    /**
     * The document's state as stored. With a TTL its parts expire one by one: a document idle for about the TTL
     * (at least 0.9 of it) may have lost some, and is then forgotten as a wholly expired one would be.
     */
    private static DocumentState stored(Engine e, Progress progress, MapView<Integer, byte[]> engineState, long ttlMs) throws Exception {
        DocumentState doc;
        try {
            doc = StateParts.load(e.newDocument(), new PagedDocumentState(engineState), PAGE_SIZE);
        } catch (MissingStatePartException missing) {
            if (ttlMs == 0) {
                throw new StateFormatException("score_lines: " + missing.getMessage() + ", and the state has no TTL");
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
        engineState.clear();
        progress.lines = 0;
        progress.tokens = 0;
        progress.fullWriteMs = 0;
        return e.newDocument();
    }

    /** The partition key's values, as one string (the cache's key). */
    private static String partitionKey(Context ctx, Row input) {
        StringBuilder key = new StringBuilder();
        for (int i : ctx.tableSemanticsFor("input").partitionByColumns()) {
            key.append(input.getField(i)).append('\u0000');
        }
        return key.toString();
    }

    private static Object field(Row input, String column) {
        Set<String> names = input.getFieldNames(true);
        if (names == null || !names.contains(column)) {
            throw new ValidationException("score_lines: the input has no column '" + column + "' (text_column); its columns: " + names);
        }
        return input.getField(column);
    }

    private Engine engine(String model, String alertThreshold) {
        if (engine != null) {
            if (!model.equals(modelDir)) {
                throw new ValidationException("score_lines: one call has one model, got " + modelDir + " and " + model);
            }
            return engine;
        }
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) {
            throw new ValidationException("score_lines: model directory " + dir.toAbsolutePath() + " does not exist on this TaskManager");
        }
        // on mean surprisal: the rows promise alert = mean_surprisal > threshold (the job and score-lines use the length-aware score)
        Optional<AlertThreshold> t = AlertThreshold.resolveOnMean(alertThreshold, dir);
        Engine loaded = SharedEngines.acquire(dir, Runtime.getRuntime().availableProcessors());
        if (loaded.tokenizer().isEmpty()) {
            SharedEngines.release(loaded);
            throw new ValidationException("score_lines: the model in " + dir + " has no tokenizer files (vocab.json + merges.txt, or tokenizer.json)");
        }
        engine = loaded;
        modelDir = model;
        cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, DocumentState> eldest) {
                return size() > CACHED_DOCUMENTS;
            }
        };
        threshold = t.orElse(null);
        return engine;
    }

    @Override
    public void close() {
        if (engine != null) {
            SharedEngines.release(engine);
            engine = null;
        }
    }
}
