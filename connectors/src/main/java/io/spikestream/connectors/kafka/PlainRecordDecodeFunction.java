package io.spikestream.connectors.kafka;

import io.spikestream.avro.Rejected;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * Reads the records of a plain-text or JSON topic as pieces of documents: each becomes a {@link PlainRecord}
 * with its document, its text and its coordinates.
 *
 * <ul>
 *   <li>{@code text}: the value is UTF-8 text; the document is the record key, or {@code <topic>-<partition>}
 *       for records without a key.</li>
 *   <li>{@code json}: the value is a JSON object; {@code textField} names the text (a dotted path reaches into
 *       nested objects: {@code log.message}); {@code keyField}, when given, names the document instead of the
 *       record key (strings, numbers and booleans).</li>
 * </ul>
 * A value that cannot be read this way goes to {@link DecodeFunction#REJECTED} with its bytes and a reason that
 * starts with the failed check: {@code NO_VALUE}, {@code NOT_UTF8}, {@code NOT_JSON}, {@code MISSING_FIELD},
 * {@code NOT_TEXT}.
 */
public final class PlainRecordDecodeFunction extends ProcessFunction<RawRecord, PlainRecord> implements ResultTypeQueryable<PlainRecord> {
    private static final long serialVersionUID = 1L;

    private final InputFormat format;
    private final String textField;
    private final String keyField;
    private transient Counter rejected;
    private transient Counter decoded;

    /** Plain-text or JSON records as {@code input} says. */
    public PlainRecordDecodeFunction(InputSettings input) {
        if (input.format() == InputFormat.AVRO) {
            throw new IllegalArgumentException("Avro chunks are decoded by DecodeFunction");
        }
        this.format = input.format();
        this.textField = input.textField();
        this.keyField = input.keyField();
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter(DecodeFunction.REJECTED_METRIC);
        decoded = getRuntimeContext().getMetricGroup().counter(DecodeFunction.DECODED_METRIC);
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<PlainRecord> out) {
        PlainRecord chunk;
        try {
            chunk = decode(raw);
        } catch (Unreadable e) {
            rejected.inc();
            ctx.output(DecodeFunction.REJECTED, rejection(raw, e.getMessage(), ctx.timerService().currentProcessingTime()));
            return;
        }
        decoded.inc();
        out.collect(chunk);
    }

    /** The record read, or {@link Unreadable} with the reason. */
    PlainRecord decode(RawRecord raw) throws Unreadable {
        if (raw.getValue() == null) {
            throw new Unreadable("NO_VALUE: the record has no value (a tombstone)");
        }
        String value = utf8(raw.getValue(), "the value");
        String key = raw.getKey() == null || raw.getKey().length == 0 ? null : utf8(raw.getKey(), "the key");
        String docId = key != null ? key : raw.getTopic() + "-" + raw.getPartition();
        String text = value;
        if (format == InputFormat.JSON) {
            Map<String, Object> object;
            try {
                object = Json.parseObject(value);
            } catch (JsonException e) {
                throw new Unreadable("NOT_JSON: " + e.getMessage());
            }
            Object t = field(object, textField);
            if (t == null) {
                throw new Unreadable("MISSING_FIELD: the object has no text field '" + textField + "'");
            }
            if (!(t instanceof String s)) {
                throw new Unreadable("NOT_TEXT: field '" + textField + "' is " + kind(t) + ", not a string");
            }
            text = s;
            if (keyField != null) {
                Object k = field(object, keyField);
                if (k == null) {
                    throw new Unreadable("MISSING_FIELD: the object has no key field '" + keyField + "'");
                }
                if (k instanceof Map || k instanceof java.util.List) {
                    throw new Unreadable("NOT_TEXT: key field '" + keyField + "' is " + kind(k) + ", not a string or number");
                }
                docId = k.toString();
            }
        }
        return new PlainRecord(docId, text, raw.getTopic(), raw.getPartition(), raw.getOffset(), key, Math.max(0, raw.getTimestampMs()));
    }

    private static Object field(Map<String, Object> object, String path) {
        Object at = object;
        for (String part : path.split("\\.")) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = m.get(part);
        }
        return at;
    }

    private static String kind(Object v) {
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof java.util.List) {
            return "an array";
        }
        return v instanceof Boolean ? "a boolean" : v instanceof Number ? "a number" : Objects.toString(v);
    }

    private static String utf8(byte[] bytes, String what) throws Unreadable {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Unreadable("NOT_UTF8: " + what + " is not UTF-8 text (" + e.getMessage() + ")");
        }
    }

    static Rejected rejection(RawRecord raw, String reason, long nowMs) {
        return Rejected.newBuilder()
                .setSourceTopic(raw.getTopic())
                .setPartition(raw.getPartition())
                .setOffset(raw.getOffset())
                .setDocId(DecodeFunction.docIdFromKey(raw.getKey()))
                .setReason(reason)
                .setRaw(ByteBuffer.wrap(raw.getValue() == null ? new byte[0] : raw.getValue()))
                .setRejectedAtMs(nowMs)
                .build();
    }

    @Override
    public TypeInformation<PlainRecord> getProducedType() {
        return TypeInformation.of(PlainRecord.class);
    }

    /** Why a record cannot be read; the message starts with the failed check. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }
}
