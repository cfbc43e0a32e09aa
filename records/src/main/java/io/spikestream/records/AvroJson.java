package io.spikestream.records;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * Renders a record as one line of plain JSON, for people and for {@code jq}.
 *
 * <p>Avro's {@code toString()} is not valid JSON for our types (NaN surprisals print as {@code NaN}, bytes as
 * a nested object), and Avro's JSON encoding wraps union values in {@code {"type": value}}. Here: field names
 * as in the schema, in schema order; unions as the bare value or {@code null}; enums as their symbol;
 * {@code timestamp-millis} as epoch milliseconds; bytes as base64; non-finite floats as the strings
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} (as in the protobuf JSON mapping).
 */
public final class AvroJson {
    private AvroJson() {
    }

    public static String toJson(IndexedRecord record) {
        StringBuilder out = new StringBuilder(256);
        GenericData model = SpecificData.getForClass(record.getClass());
        write(out, record.getSchema(), record, model);
        return out.toString();
    }

    private static void write(StringBuilder out, Schema s, Object v, GenericData model) {
        switch (s.getType()) {
            case NULL -> out.append("null");
            case BOOLEAN -> out.append((boolean) (Boolean) v);
            case INT, LONG -> writeInteger(out, s, v);
            case FLOAT -> writeFloating(out, ((Float) v).doubleValue(), Float.toString((Float) v));
            case DOUBLE -> writeFloating(out, (Double) v, Double.toString((Double) v));
            case STRING, ENUM -> appendString(out, v.toString());
            case BYTES -> {
                ByteBuffer b = ((ByteBuffer) v).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                appendString(out, Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED -> appendString(out, Base64.getEncoder().encodeToString(((GenericFixed) v).bytes()));
            case UNION -> {
                if (v == null) {
                    out.append("null");
                } else {
                    write(out, s.getTypes().get(model.resolveUnion(s, v)), v, model);
                }
            }
            case ARRAY -> {
                out.append('[');
                boolean first = true;
                for (Object item : (Collection<?>) v) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(out, s.getElementType(), item, model);
                }
                out.append(']');
            }
            case MAP -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    appendString(out, e.getKey().toString());
                    out.append(':');
                    write(out, s.getValueType(), e.getValue(), model);
                }
                out.append('}');
            }
            case RECORD -> {
                IndexedRecord r = (IndexedRecord) v;
                out.append('{');
                for (Schema.Field f : s.getFields()) {
                    if (f.pos() > 0) {
                        out.append(',');
                    }
                    appendString(out, f.name());
                    out.append(':');
                    write(out, f.schema(), r.get(f.pos()), model);
                }
                out.append('}');
            }
        }
    }

    private static void writeInteger(StringBuilder out, Schema s, Object v) {
        if (v instanceof Number n) {
            out.append(n.longValue());
            return;
        }
        LogicalType logical = s.getLogicalType();
        if (v instanceof Instant t && logical instanceof LogicalTypes.TimestampMillis) {
            out.append(t.toEpochMilli());
            return;
        }
        throw new IllegalArgumentException("no JSON form for " + v.getClass().getName() + " in a " + s + " field");
    }

    private static void writeFloating(StringBuilder out, double value, String text) {
        if (Double.isNaN(value)) {
            out.append("\"NaN\"");
        } else if (Double.isInfinite(value)) {
            out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        } else {
            out.append(text);
        }
    }

    private static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/9 too, so a line is safe to embed in JavaScript.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
