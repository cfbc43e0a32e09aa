package io.spikestream.sql;

import io.spikestream.engine.scoring.AlertThreshold;
import io.spikestream.engine.scoring.LineScore;
import io.spikestream.engine.scoring.LineScorer;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.types.extraction.TypeInferenceExtractor;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

import java.nio.file.Path;

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
    static final int PAGE_SIZE = KeyedDocuments.PAGE_SIZE;

    /** Per document: the lines scored so far (the next line's number), the tokens applied, when every part was last written. */
    public static class Progress {
        public long lines;
        public long tokens;
        public long fullWriteMs;

        /** The document expired: start it anew. */
        void forget() {
            lines = 0;
            tokens = 0;
            fullWriteMs = 0;
        }
    }

    private transient KeyedDocuments documents;
    private transient AlertThreshold threshold;

    /** The position of {@code state_ttl} among the arguments of {@link #eval}. */
    static final int STATE_TTL_ARGUMENT = 4;

    /** Annotations as extracted, the TTL of the states from {@code state_ttl} ({@link StateTtl}), with the text column checked while the query is planned ({@link TextColumnCheck}). */
    @Override
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        return inference(typeFactory, getClass(), "score_lines");
    }

    /** The inference of a document-scoring function: {@code input, text_column, model, alert_threshold, state_ttl}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static TypeInference inference(DataTypeFactory typeFactory, Class<?> function, String name) {
        TypeInference t = TypeInferenceExtractor.forProcessTableFunction(typeFactory, (Class) function);
        java.util.LinkedHashMap<String, org.apache.flink.table.types.inference.StateTypeStrategy> states = new java.util.LinkedHashMap<>();
        t.getStateTypeStrategies().forEach((state, strategy) -> states.put(state, new StateTtl(strategy, STATE_TTL_ARGUMENT)));
        TypeInference.Builder b = TypeInference.newBuilder()
                .inputTypeStrategy(new TextColumnCheck(t.getInputTypeStrategy(), name))
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
        if (documents == null) {
            documents = new KeyedDocuments("score_lines");
        }
        // on mean surprisal: the rows promise alert = mean_surprisal > threshold (the job and score-lines use the length-aware score)
        LineScorer.Scored scored = documents.advance(ctx, input, textColumn, model, stateTtl, progress, engineState, () -> {
            if (threshold == null) {
                threshold = AlertThreshold.resolveOnMean(alertThreshold, Path.of(model)).orElse(NO_ALERTS);
            }
        });
        if (scored == null) {
            return;
        }
        boolean alerts = threshold != NO_ALERTS;
        for (LineScore l : scored.lines()) {
            boolean scoredLine = l.isScored();
            collect(Row.of(l.line(), l.text(), (int) (l.tokenEnd() - l.tokenStart()), scoredLine ? l.mean() : null,
                    scoredLine ? l.max() : null, alerts && threshold.exceeded(l), alerts ? threshold.value() : null));
        }
    }

    /** The threshold of a call without alerts (resolved, nothing to compare with). */
    static final AlertThreshold NO_ALERTS = new AlertThreshold("off", 0);

    @Override
    public void close() {
        if (documents != null) {
            documents.close();
        }
    }
}
