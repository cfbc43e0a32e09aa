package io.spikestream.sql;

import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.StateTypeStrategy;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code state_ttl}: how long a document's state outlives its last row (Flink's duration syntax: {@code '7 d'},
 * {@code '12 h'}, {@code '30 min'}; {@code '0'} keeps it forever; default 7 days). {@code @StateHint(ttl)} can
 * only be a constant, so the function's state strategies are wrapped in this one, which the planner asks for the
 * TTL with the call's arguments: a literal is required, and a malformed one fails the query while it is planned.
 */
final class StateTtl implements StateTypeStrategy {
    static final Duration DEFAULT = Duration.ofDays(7);

    private final StateTypeStrategy state;
    private final int argument;

    StateTtl(StateTypeStrategy state, int argument) {
        this.state = state;
        this.argument = argument;
    }

    /** The TTL a {@code state_ttl} value asks for; {@link Duration#ZERO} for none. */
    static Duration parse(String value) {
        if (value == null) {
            return DEFAULT;
        }
        Duration d;
        try {
            d = TimeUtils.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("state_ttl '" + value + "' is not a duration (e.g. '7 d', '12 h', '30 min'; '0' for none): "
                    + e.getMessage());
        }
        if (d.isNegative()) {
            throw new ValidationException("state_ttl '" + value + "' is negative");
        }
        return d;
    }

    @Override
    public Optional<Duration> getTimeToLive(CallContext call) {
        if (call.isArgumentNull(argument)) {
            return Optional.of(DEFAULT);
        }
        if (!call.isArgumentLiteral(argument)) {
            throw call.newValidationError("state_ttl must be a literal, e.g. '7 d'");
        }
        return Optional.of(parse(call.getArgumentValue(argument, String.class).orElseThrow()));
    }

    @Override
    public Optional<DataType> inferType(CallContext call) {
        return state.inferType(call);
    }
}
