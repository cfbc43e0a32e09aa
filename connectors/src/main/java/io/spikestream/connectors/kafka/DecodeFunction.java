package io.spikestream.connectors.kafka;

import io.spikestream.avro.Rejected;
import io.spikestream.records.AvroCodec;
import io.spikestream.records.AvroDecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.avro.specific.SpecificRecord;

/**
 * Decodes single-object Avro values; a record that does not decode goes to the {@link #REJECTED} side
 * output with its position, bytes and the reason, and is counted in the {@value #REJECTED_METRIC} metric.
 * A poison record therefore never fails (and endlessly restarts) the job.
 */
public final class DecodeFunction<T extends SpecificRecord> extends ProcessFunction<RawRecord, T>
        implements ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    /** Side output of the records that could not be decoded. */
    public static final OutputTag<Rejected> REJECTED = new OutputTag<>("rejected", TypeInformation.of(Rejected.class));
    /** Counter of rejected records, in the operator's metric group. */
    public static final String REJECTED_METRIC = "rejectedRecords";
    /** Counter of decoded records, in the operator's metric group. */
    public static final String DECODED_METRIC = "decodedRecords";

    private final AvroCodec<T> codec;
    private transient Counter rejected;
    private transient Counter decoded;

    public DecodeFunction(AvroCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public void open(OpenContext openContext) {
        rejected = getRuntimeContext().getMetricGroup().counter(REJECTED_METRIC);
        decoded = getRuntimeContext().getMetricGroup().counter(DECODED_METRIC);
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<T> out) {
        T value;
        try {
            value = codec.decode(raw.getValue());
        } catch (AvroDecodeException e) {
            rejected.inc();
            ctx.output(REJECTED, rejection(raw, e, ctx.timerService().currentProcessingTime()));
            return;
        }
        decoded.inc();
        out.collect(value);
    }

    /** The side-output record for {@code raw}; its reason starts with the failed check's name. */
    public static Rejected rejection(RawRecord raw, AvroDecodeException e, long nowMs) {
        return Rejected.newBuilder()
                .setSourceTopic(raw.getTopic())
                .setPartition(raw.getPartition())
                .setOffset(raw.getOffset())
                .setDocId(docIdFromKey(raw.getKey()))
                .setReason(e.reason() + ": " + e.getMessage())
                .setRaw(ByteBuffer.wrap(raw.getValue() == null ? new byte[0] : raw.getValue()))
                .setRejectedAtMs(nowMs)
                .build();
    }

    /** Producers key records by docId (UTF-8); a missing or non-UTF-8 key means the document is unknown. */
    static String docIdFromKey(byte[] key) {
        if (key == null || key.length == 0) {
            return null;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            // A key that is not UTF-8 text cannot be one of our docIds: the document is unknown, which Rejected
            // records as null; the value's own rejection reason is what gets reported.
            return null;
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(codec.type());
    }
}
