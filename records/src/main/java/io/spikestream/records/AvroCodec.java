package io.spikestream.records;

import io.spikestream.avro.Alert;
import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroDecodeException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding of one record type, as on our Kafka topics: {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the schema, then the Avro binary body. No schema registry.
 *
 * <p>{@link #decode} never returns garbage: empty input, a wrong marker, an unknown fingerprint, and bodies
 * that are truncated, malformed or followed by extra bytes all throw {@link AvroDecodeException}.
 * Instances are thread-safe and serializable (Flink ships them inside functions).
 *
 * <p>Schemas evolve by appending optional fields. The earlier versions of a type live in
 * {@code io/spikestream/avro/history/<Type>-<n>.avsc}: a record is written in the oldest version that holds
 * it (one whose missing fields are all null in the record), so a record that does not use a new field has
 * exactly the bytes, and the fingerprint, that readers built before that field know; records of any known
 * version are read into the current class (new fields take their defaults).
 */
public final class AvroCodec<T extends SpecificRecord> implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Length of the single-object header: two marker bytes and the fingerprint. */
    public static final int HEADER_LENGTH = 10;
    private static final byte MAGIC_0 = (byte) 0xC3;
    private static final byte MAGIC_1 = (byte) 0x01;

    /** Our record types by fingerprint (every version), so a record on the wrong topic is named in the error. */
    private static final Map<Long, String> KNOWN_TYPES = List.of(
                    DocumentChunk.getClassSchema(), DocumentQuery.getClassSchema(),
                    Enrichment.getClassSchema(), Rejected.getClassSchema(), Alert.getClassSchema())
            .stream()
            .flatMap(s -> Stream.concat(history(s).stream(), Stream.of(s)))
            .collect(Collectors.toUnmodifiableMap(SchemaNormalization::parsingFingerprint64, Schema::getFullName));

    private final Class<T> type;
    private transient volatile Runtime<T> runtime;

    private AvroCodec(Class<T> type) {
        this.type = type;
    }

    /** The codec of a generated SpecificRecord class. */
    public static <T extends SpecificRecord> AvroCodec<T> of(Class<T> type) {
        AvroCodec<T> codec = new AvroCodec<>(type);
        codec.runtime(); // fail here, not in a Flink task, if the class is not a generated record
        return codec;
    }

    public static AvroCodec<DocumentChunk> documentChunk() {
        return of(DocumentChunk.class);
    }

    public static AvroCodec<DocumentQuery> documentQuery() {
        return of(DocumentQuery.class);
    }

    public static AvroCodec<Enrichment> enrichment() {
        return of(Enrichment.class);
    }

    public static AvroCodec<Rejected> rejected() {
        return of(Rejected.class);
    }

    public static AvroCodec<Alert> alert() {
        return of(Alert.class);
    }

    public Class<T> type() {
        return type;
    }

    public Schema schema() {
        return runtime().schema;
    }

    /** The CRC-64-AVRO fingerprint of the schema, as written in every header. */
    public long fingerprint() {
        return runtime().fingerprint;
    }

    /** The fingerprints this codec reads: every version of the schema, oldest first. */
    public List<Long> readableFingerprints() {
        return runtime().versions.stream().map(Version::fingerprint).toList();
    }

    /**
     * Encodes {@code record} in the oldest schema version that holds it; fields that break the schema (a null
     * in a non-null field, ...) throw here.
     */
    public byte[] encode(T record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try {
            runtime().versionFor(record).encoder.encode(record, out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        } catch (AvroRuntimeException | NullPointerException | ClassCastException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + " " + record + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Decodes a whole value; any problem throws {@link AvroDecodeException} with the failed check. */
    public T decode(byte[] bytes) throws AvroDecodeException {
        Runtime<T> rt = runtime();
        String name = type.getSimpleName();
        if (bytes == null || bytes.length == 0) {
            throw new AvroDecodeException(Reason.EMPTY, "empty value: expected a single-object Avro " + name);
        }
        if (bytes.length < HEADER_LENGTH) {
            throw new AvroDecodeException(Reason.TRUNCATED_HEADER, "only " + bytes.length + " bytes: a single-object Avro "
                    + name + " starts with a " + HEADER_LENGTH + "-byte header");
        }
        if (bytes[0] != MAGIC_0 || bytes[1] != MAGIC_1) {
            throw new AvroDecodeException(Reason.BAD_MAGIC, "not single-object Avro: expected marker C3 01, got "
                    + HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes, 0, 2));
        }
        long fingerprint = readFingerprint(bytes);
        Version<T> version = rt.byFingerprint.get(fingerprint);
        if (version == null) {
            String known = KNOWN_TYPES.get(fingerprint);
            throw new AvroDecodeException(Reason.UNKNOWN_FINGERPRINT, "schema fingerprint " + hex(fingerprint) + " is not "
                    + name + "'s (" + hex(rt.fingerprint) + ")"
                    + (known != null && !known.equals(rt.schema.getFullName()) ? ": the record is a " + known
                    : ": written with an unknown schema"));
        }
        BodyValidator.validate(version.schema, bytes, HEADER_LENGTH, bytes.length);
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, null);
        try {
            return version.reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            // The validator accepted the bytes, so this is a value Avro itself refuses (e.g. a bad logical value).
            throw new AvroDecodeException(Reason.MALFORMED, name + " body could not be decoded: " + e, e);
        }
    }

    private static long readFingerprint(byte[] bytes) {
        long fp = 0;
        for (int i = 0; i < 8; i++) {
            fp |= (bytes[2 + i] & 0xffL) << (8 * i);
        }
        return fp;
    }

    private static String hex(long fingerprint) {
        return String.format("%016x", fingerprint);
    }

    private Runtime<T> runtime() {
        Runtime<T> rt = runtime;
        if (rt == null) {
            rt = new Runtime<>(type);
            runtime = rt;
        }
        return rt;
    }

    @Override
    public String toString() {
        return "AvroCodec[" + type.getName() + "]";
    }

    /** The earlier versions of a record schema, oldest first (resources {@code history/<Type>-<n>.avsc}). */
    static List<Schema> history(Schema current) {
        List<Schema> out = new ArrayList<>();
        for (int n = 1; ; n++) {
            String resource = "/io/spikestream/avro/history/" + current.getName() + "-" + n + ".avsc";
            try (InputStream in = AvroCodec.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return out;
                }
                Schema old = new Schema.Parser().parse(in);
                checkPrefix(old, current, resource);
                out.add(old);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
    }

    /** An old version must be the current schema's first fields, the rest optional with a null default. */
    private static void checkPrefix(Schema old, Schema current, String resource) {
        List<Schema.Field> o = old.getFields();
        List<Schema.Field> c = current.getFields();
        for (int i = 0; i < c.size(); i++) {
            Schema.Field f = c.get(i);
            if (i < o.size()) {
                if (!o.get(i).name().equals(f.name())) {
                    throw new IllegalStateException(resource + ": field " + i + " is " + o.get(i).name() + ", the current schema has "
                            + f.name() + " there (fields may only be appended)");
                }
            } else if (!f.hasDefaultValue() || f.defaultVal() != org.apache.avro.JsonProperties.NULL_VALUE) {
                throw new IllegalStateException(current.getFullName() + ": field " + f.name() + " was added after " + resource
                        + " and needs the default null");
            }
        }
    }

    /** One schema version: what writes it and what reads it into the current class. */
    private record Version<T>(Schema schema, long fingerprint, int fields, BinaryMessageEncoder<T> encoder,
                              SpecificDatumReader<T> reader) {
    }

    /** The non-serializable Avro machinery, rebuilt after deserialization. */
    private static final class Runtime<T> {
        final Schema schema;
        final long fingerprint;
        final List<Version<T>> versions;
        final Map<Long, Version<T>> byFingerprint = new HashMap<>();

        Runtime(Class<T> type) {
            if (!SpecificRecord.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException(type.getName() + " is not an Avro SpecificRecord");
            }
            // The class's own model carries its logical-type conversions (timestamp-millis as Instant).
            SpecificData model = SpecificData.getForClass(type);
            this.schema = model.getSchema(type);
            this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
            List<Version<T>> all = new ArrayList<>();
            for (Schema s : history(schema)) {
                all.add(new Version<>(s, SchemaNormalization.parsingFingerprint64(s), s.getFields().size(),
                        new BinaryMessageEncoder<>(model, s), new SpecificDatumReader<>(s, schema, model)));
            }
            all.add(new Version<>(schema, fingerprint, schema.getFields().size(), new BinaryMessageEncoder<>(model, schema),
                    new SpecificDatumReader<>(schema, schema, model)));
            this.versions = List.copyOf(all);
            for (Version<T> v : versions) {
                byFingerprint.put(v.fingerprint, v);
            }
        }

        /** The oldest version whose missing fields are all null in the record. */
        Version<T> versionFor(T record) {
            SpecificRecord r = (SpecificRecord) record;
            int fields = schema.getFields().size();
            for (Version<T> v : versions) {
                boolean fits = true;
                for (int i = v.fields; i < fields && fits; i++) {
                    fits = r.get(i) == null;
                }
                if (fits) {
                    return v;
                }
            }
            return versions.get(versions.size() - 1);
        }
    }
}
