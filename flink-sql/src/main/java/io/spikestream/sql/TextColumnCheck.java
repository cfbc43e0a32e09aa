package io.spikestream.sql;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.functions.FunctionDefinition;
import org.apache.flink.table.functions.TableSemantics;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.inference.ArgumentCount;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.InputTypeStrategy;
import org.apache.flink.table.types.inference.Signature;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.utils.LogicalTypeChecks;

import java.util.List;
import java.util.Optional;

/**
 * The extracted input strategy of {@link ScoreLines} (or {@link ScoreParagraphs}), plus what planning can already know: that {@code text_column}
 * names a character column of the input table, and that {@code state_ttl} is a duration. (The model directory is checked where the function runs: the
 * client that plans the query need not have it.)
 */
final class TextColumnCheck implements InputTypeStrategy {
    static final int TABLE = 0;
    static final int TEXT_COLUMN = 1;

    private final InputTypeStrategy extracted;
    /** The function's SQL name, for messages. */
    private final String function;

    TextColumnCheck(InputTypeStrategy extracted, String function) {
        this.extracted = extracted;
        this.function = function;
    }

    @Override
    public ArgumentCount getArgumentCount() {
        return extracted.getArgumentCount();
    }

    @Override
    public Optional<List<DataType>> inferInputTypes(CallContext call, boolean throwOnFailure) {
        Optional<List<DataType>> types = extracted.inferInputTypes(call, throwOnFailure);
        if (types.isEmpty()) {
            return types;
        }
        Optional<TableSemantics> table = call.getTableSemantics(TABLE);
        Optional<String> column = call.isArgumentLiteral(TEXT_COLUMN) ? call.getArgumentValue(TEXT_COLUMN, String.class) : Optional.empty();
        if (table.isEmpty() || column.isEmpty()) {
            return refuse(call, throwOnFailure, function + " needs input => TABLE ... PARTITION BY ... and text_column => 'a column name' (a literal)");
        }
        LogicalType row = table.get().dataType().getLogicalType();
        List<String> names = LogicalTypeChecks.getFieldNames(row);
        int i = names.indexOf(column.get());
        if (i < 0) {
            return refuse(call, throwOnFailure, function + ": the input has no column '" + column.get() + "' (text_column); its columns: " + names);
        }
        LogicalType type = LogicalTypeChecks.getFieldTypes(row).get(i);
        if (!type.is(LogicalTypeFamily.CHARACTER_STRING)) {
            return refuse(call, throwOnFailure, function + ": text_column '" + column.get() + "' must be a STRING column, it is " + type);
        }
        int ttl = ScoreLines.STATE_TTL_ARGUMENT;
        if (call.getArgumentDataTypes().size() > ttl && !call.isArgumentNull(ttl)) {
            if (!call.isArgumentLiteral(ttl)) {
                return refuse(call, throwOnFailure, function + ": state_ttl must be a literal, e.g. '7 d'");
            }
            try {
                StateTtl.parse(call.getArgumentValue(ttl, String.class).orElse(null));
            } catch (ValidationException e) {
                return refuse(call, throwOnFailure, e.getMessage());
            }
        }
        return types;
    }

    private static Optional<List<DataType>> refuse(CallContext call, boolean throwOnFailure, String message) {
        if (throwOnFailure) {
            throw call.newValidationError(message);
        }
        return Optional.empty();
    }

    @Override
    public List<Signature> getExpectedSignatures(FunctionDefinition definition) {
        return extracted.getExpectedSignatures(definition);
    }
}
