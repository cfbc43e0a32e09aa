package io.spikestream.records;

import io.spikestream.records.AvroDecodeException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data against its writer schema before anything is decoded.
 *
 * <p>Avro's own decoder trusts the lengths it reads: random bytes can make it allocate up to 2 GB for one
 * string, silently replace invalid UTF-8, or stop in the middle of the input and return a record built from
 * garbage. This check rejects all of that, so a decoded record is exactly what was written. Collection
 * counts may not exceed the remaining bytes (every item our schemas have takes at least one byte).
 */
final class BodyValidator {
    private final byte[] buf;
    private final int end;
    private int pos;

    private BodyValidator(byte[] buf, int offset, int end) {
        this.buf = buf;
        this.pos = offset;
        this.end = end;
    }

    /** Checks that {@code buf[offset, end)} holds exactly one value of {@code schema}. */
    static void validate(Schema schema, byte[] buf, int offset, int end) throws AvroDecodeException {
        BodyValidator v = new BodyValidator(buf, offset, end);
        v.value(schema, schema.getName());
        if (v.pos != end) {
            throw new AvroDecodeException(Reason.TRAILING_BYTES,
                    (end - v.pos) + " bytes left after the end of the " + schema.getName() + " record");
        }
    }

    private void value(Schema s, String path) throws AvroDecodeException {
        switch (s.getType()) {
            case NULL -> { }
            case BOOLEAN -> {
                need(1, path);
                byte b = buf[pos++];
                if (b != 0 && b != 1) {
                    throw malformed(path, "boolean byte is " + (b & 0xff) + ", not 0 or 1");
                }
            }
            case INT -> readInt(path);
            case LONG -> readLong(path);
            case FLOAT -> skip(4, path);
            case DOUBLE -> skip(8, path);
            case STRING -> {
                int len = readLength(path);
                checkUtf8(len, path);
                pos += len;
            }
            case BYTES -> skip(readLength(path), path);
            case FIXED -> skip(s.getFixedSize(), path);
            case ENUM -> {
                int index = readInt(path);
                if (index < 0 || index >= s.getEnumSymbols().size()) {
                    throw malformed(path, "enum index " + index + " is not one of the "
                            + s.getEnumSymbols().size() + " symbols of " + s.getName());
                }
            }
            case UNION -> {
                int branch = readInt(path);
                if (branch < 0 || branch >= s.getTypes().size()) {
                    throw malformed(path, "union branch " + branch + " out of " + s.getTypes().size());
                }
                value(s.getTypes().get(branch), path);
            }
            case ARRAY -> blocks(s.getElementType(), null, path);
            case MAP -> blocks(s.getValueType(), Schema.create(Schema.Type.STRING), path);
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    value(f.schema(), path + "." + f.name());
                }
            }
        }
    }

    /** Array and map blocks: a count (negative: followed by a byte size), the items, ..., a zero count. */
    private void blocks(Schema item, Schema key, String path) throws AvroDecodeException {
        while (true) {
            long count = readLong(path);
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw malformed(path, "block count out of range");
                }
                count = -count;
                long size = readLong(path);
                if (size < 0) {
                    throw malformed(path, "negative block size " + size);
                }
            }
            if (count > end - pos) {
                throw new AvroDecodeException(Reason.TRUNCATED,
                        path + ": a block of " + count + " items cannot fit in the " + (end - pos) + " bytes left");
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    value(key, path + "{key}");
                }
                value(item, path + "[" + i + "]");
            }
        }
    }

    private int readLength(String path) throws AvroDecodeException {
        long len = readLong(path);
        if (len < 0) {
            throw malformed(path, "negative length " + len);
        }
        if (len > end - pos) {
            throw new AvroDecodeException(Reason.TRUNCATED,
                    path + ": length " + len + " exceeds the " + (end - pos) + " bytes left");
        }
        return (int) len;
    }

    private int readInt(String path) throws AvroDecodeException {
        long v = readVarint(5, path);
        if (v > 0xFFFFFFFFL) {
            throw malformed(path, "int varint longer than 32 bits");
        }
        int raw = (int) v;
        return (raw >>> 1) ^ -(raw & 1);
    }

    private long readLong(String path) throws AvroDecodeException {
        long raw = readVarint(10, path);
        return (raw >>> 1) ^ -(raw & 1);
    }

    /** Reads an unsigned base-128 varint of at most {@code maxBytes} bytes (zig-zag is undone by the caller). */
    private long readVarint(int maxBytes, String path) throws AvroDecodeException {
        long value = 0;
        for (int i = 0; i < maxBytes; i++) {
            need(1, path);
            int b = buf[pos++] & 0xff;
            if (i == 9 && b > 1) {
                throw malformed(path, "long varint longer than 64 bits");
            }
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw malformed(path, "varint longer than " + maxBytes + " bytes");
    }

    private void checkUtf8(int len, String path) throws AvroDecodeException {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, pos, len));
        } catch (CharacterCodingException e) {
            throw new AvroDecodeException(Reason.MALFORMED, path + ": string is not valid UTF-8", e);
        }
    }

    private void skip(int n, String path) throws AvroDecodeException {
        need(n, path);
        pos += n;
    }

    private void need(int n, String path) throws AvroDecodeException {
        if (n > end - pos) {
            throw new AvroDecodeException(Reason.TRUNCATED,
                    path + ": needs " + n + " more bytes but only " + (end - pos) + " are left");
        }
    }

    private static AvroDecodeException malformed(String path, String what) {
        return new AvroDecodeException(Reason.MALFORMED, path + ": " + what);
    }
}
