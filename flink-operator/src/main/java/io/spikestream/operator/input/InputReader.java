package io.spikestream.operator.input;

import io.spikestream.operator.RecordSource;
import org.apache.flink.util.function.SerializableFunction;

import java.io.Serializable;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * Turns the user's elements into {@link DocumentInput}s with the functions given to the builder: the text, and
 * the order — numbered chunks ({@link Sequenced}) or records in arrival order ({@link Arrival}). An element the
 * functions cannot read (a null text or sequence number, a function that throws) is {@link Unreadable}: rejected
 * with the reason, never a job failure.
 */
public final class InputReader<T> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How a stream's elements are ordered within a document. */
    public sealed interface Order<T> extends Serializable permits Sequenced, Arrival {
    }

    /** Numbered chunks: {@code seq} from 0, {@code last} on the final one; attributes and event time are optional. */
    public record Sequenced<T>(SerializableFunction<T, Long> seq, SerializableFunction<T, Boolean> last,
                               SerializableFunction<T, Map<String, String>> attributes, SerializableFunction<T, Instant> eventTime)
            implements Order<T> {
        public Sequenced {
            Objects.requireNonNull(seq, "seq");
            Objects.requireNonNull(last, "last");
        }
    }

    /** Records applied as they arrive; {@code source} (optional) gives their coordinates. */
    public record Arrival<T>(SerializableFunction<T, RecordSource> source) implements Order<T> {
    }

    private final SerializableFunction<T, String> text;
    private final Order<T> order;

    public InputReader(SerializableFunction<T, String> text, Order<T> order) {
        this.text = Objects.requireNonNull(text, "text");
        this.order = Objects.requireNonNull(order, "order");
    }

    public Order<T> order() {
        return order;
    }

    /** {@code element} of document {@code docId} (its key) as a chunk or a record. */
    public DocumentInput read(T element, String docId) throws Unreadable {
        String t = apply(text, element, "text");
        if (t == null) {
            throw new Unreadable("NO_TEXT: the element has no text");
        }
        if (order instanceof Sequenced<T> s) {
            Long seq = apply(s.seq(), element, "sequence number");
            Boolean last = apply(s.last(), element, "last flag");
            if (seq == null || last == null) {
                throw new Unreadable("NO_SEQUENCE: the element has no " + (seq == null ? "sequence number" : "last flag"));
            }
            Map<String, String> attributes = s.attributes() == null ? Map.of() : apply(s.attributes(), element, "attributes");
            Instant eventTime = s.eventTime() == null ? Instant.EPOCH : apply(s.eventTime(), element, "event time");
            return new Chunk(docId, seq, t, last, eventTime, attributes);
        }
        Arrival<T> a = (Arrival<T>) order;
        RecordSource source = a.source() == null ? null : apply(a.source(), element, "source");
        if (a.source() != null && source == null) {
            throw new Unreadable("NO_SOURCE: the record has no source coordinates (topic, partition, offset)");
        }
        return new Record(docId, t, source);
    }

    private static <T, R> R apply(SerializableFunction<T, R> f, T element, String what) throws Unreadable {
        try {
            return f.apply(element);
        } catch (RuntimeException e) {
            throw new Unreadable("UNREADABLE: reading the " + what + " failed: " + e);
        }
    }

    /** Why an element cannot be applied; the message starts with the check that failed. */
    public static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unreadable(String message) {
            super(message);
        }
    }
}
