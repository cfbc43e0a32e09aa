package io.spikestream.records;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LabelScore;
import io.spikestream.avro.QueryKind;
import io.spikestream.avro.Rejected;
import io.spikestream.avro.SurprisingSpan;
import io.spikestream.records.AvroDecodeException.Reason;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroCodecTest {
    static DocumentChunk chunk() {
        return DocumentChunk.newBuilder().setDocId("doc-1").setSeq(3).setText("héllo\r\nwörld 🚀")
                .setAttributes(Map.of("source", "a.log")).setLast(false).setEventTime(Instant.ofEpochMilli(1_764_000_000_123L)).build();
    }

    static Enrichment enrichment() {
        return Enrichment.newBuilder().setDocId("doc-1").setSeq(3L).setQueryId(null).setKind(EnrichmentKind.CHUNK)
                .setTokenStart(100).setTokenEnd(160).setMeanSurprisal(2.5).setMaxSurprisal(9.75).setPerplexity(Math.exp(2.5))
                .setSpans(List.of(SurprisingSpan.newBuilder().setCharStart(4).setCharEnd(9).setText("wörld").setSurprisal(9.75)
                        .setTokenPosition(130).build()))
                .setEmbedding(List.of(0.5f, -1f)).setAnswer(null)
                .setLabelScores(List.of(LabelScore.newBuilder().setLabel("breach").setLogLikelihood(-3).setProbability(0.7).build()))
                .setStateBytes(123456).setModelFingerprint("ab12").setProcessedAtMs(5).setStateBytesWritten(2048).setError(null).build();
    }

    @Test
    void everyTypeRoundTrips() throws AvroDecodeException {
        assertThat(AvroCodec.documentChunk().decode(AvroCodec.documentChunk().encode(chunk()))).isEqualTo(chunk());
        assertThat(AvroCodec.enrichment().decode(AvroCodec.enrichment().encode(enrichment()))).isEqualTo(enrichment());
        DocumentQuery q = DocumentQuery.newBuilder().setDocId("d").setQueryId("q1").setKind(QueryKind.SCORE_LABELS).setPrompt("Is it a breach?")
                .setLabels(List.of("yes", "no")).setMaxTokens(5).setTemperature(0f).setTopP(1f).setSeed(7).setEventTime(Instant.ofEpochMilli(9)).build();
        assertThat(AvroCodec.documentQuery().decode(AvroCodec.documentQuery().encode(q))).isEqualTo(q);
        Rejected r = Rejected.newBuilder().setSourceTopic("documents").setPartition(1).setOffset(42).setDocId(null).setReason("x")
                .setRaw(ByteBuffer.wrap(new byte[] {1, 2, 3})).setRejectedAtMs(11).build();
        assertThat(AvroCodec.rejected().decode(AvroCodec.rejected().encode(r))).isEqualTo(r);
    }

    private static long headerFingerprint(byte[] bytes) {
        long fp = 0;
        for (int i = 0; i < 8; i++) {
            fp |= (bytes[2 + i] & 0xffL) << (8 * i);
        }
        return fp;
    }

    private static org.apache.avro.Schema firstEnrichmentSchema() throws java.io.IOException {
        return enrichmentSchema(1);
    }

    private static org.apache.avro.Schema enrichmentSchema(int version) throws java.io.IOException {
        try (var in = AvroCodec.class.getResourceAsStream("/io/spikestream/avro/history/Enrichment-" + version + ".avsc")) {
            return new org.apache.avro.Schema.Parser().parse(in);
        }
    }

    @Test
    void aRecordWithoutTheNewFieldsIsWrittenInTheSchemaOldReadersKnow() throws Exception {
        org.apache.avro.Schema v1 = firstEnrichmentSchema();
        byte[] bytes = AvroCodec.enrichment().encode(enrichment());
        assertThat(headerFingerprint(bytes)).isEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(v1))
                .isNotEqualTo(AvroCodec.enrichment().fingerprint());
        // A reader that knows only the first schema (as deployed before the spike fields) reads it unchanged.
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(v1)
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null));
        assertThat(old.get("docId").toString()).isEqualTo("doc-1");
        assertThat(old.get("stateBytesWritten")).isEqualTo(2048L);
        assertThat(AvroCodec.enrichment().readableFingerprints()).hasSize(4);
    }

    @Test
    void aRecordWithSpikeStatisticsUsesTheNewSchemaAndRoundTrips() throws Exception {
        Enrichment e = enrichment();
        e.setSpikes(io.spikestream.avro.SpikeStatistics.newBuilder().setActivations(57344).setZeroFraction(0.1).setMeanAbs(3)
                .setMeanBitwise(1.3).setMaxAbs(16).setSilentChannelFraction(0).setEnergyPicojoulesPerToken(313405.44)
                .setDenseEnergyPicojoulesPerToken(1007616).build());
        byte[] bytes = AvroCodec.enrichment().encode(e);
        // the second version added the spikes; without the later fields a record is written in it
        assertThat(headerFingerprint(bytes)).isEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(enrichmentSchema(2)));
        assertThat(AvroCodec.enrichment().decode(bytes)).isEqualTo(e);
        // With the writer's schema, a reader of the first schema resolves it (the new field is skipped).
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(
                enrichmentSchema(2), firstEnrichmentSchema())
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null));
        assertThat(old.get("modelFingerprint").toString()).isEqualTo("ab12");
        assertThat(old.getSchema().getField("spikes")).isNull();
    }

    @Test
    void recordEnrichmentsAndLineScoresUseTheCurrentSchema() throws Exception {
        Enrichment e = enrichment();
        e.setKind(io.spikestream.avro.EnrichmentKind.RECORD);
        e.setSeq(null);
        e.setSourceTopic("service-lines");
        e.setPartition(1);
        e.setOffset(4242L);
        e.setRecordKey("payments");
        e.setLines(java.util.List.of(io.spikestream.avro.LineSurprisal.newBuilder().setLine(7).setCharStart(0).setCharEnd(5)
                .setTokenStart(10).setTokenEnd(14).setMeanSurprisal(1.5).setMaxSurprisal(3.25).setText("hello").build()));
        byte[] bytes = AvroCodec.enrichment().encode(e);
        // the third version added the lines; without paragraphs (the fourth's segments) a record is written in it
        assertThat(headerFingerprint(bytes)).isEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(enrichmentSchema(3)));
        assertThat(AvroCodec.enrichment().decode(bytes)).isEqualTo(e);
        // with paragraphs (--segment paragraph): the current schema, and readers of the third resolve it and skip them
        Enrichment withParagraphs = Enrichment.newBuilder(e).setSegments(java.util.List.of(io.spikestream.avro.SegmentSurprisal.newBuilder()
                .setKind("paragraph").setFirstLine(5).setLastLine(7).setTokenStart(3).setTokenEnd(14).setTokens(11).setMeanSurprisal(1.5)
                .setContextualSurprisal(-2.0).setScore(0.75).setMaxSurprisal(3.25).setText("a\nparagraph").build())).build();
        byte[] paragraphBytes = AvroCodec.enrichment().encode(withParagraphs);
        assertThat(headerFingerprint(paragraphBytes)).isEqualTo(AvroCodec.enrichment().fingerprint());
        assertThat(AvroCodec.enrichment().decode(paragraphBytes)).isEqualTo(withParagraphs);
        org.apache.avro.generic.GenericRecord third = new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(
                Enrichment.getClassSchema(), enrichmentSchema(3))
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(paragraphBytes, 10, paragraphBytes.length - 10, null));
        assertThat(third.get("lines")).isNotNull();
        assertThat(third.getSchema().getField("segments")).isNull();
        // a CHUNK with line scores: readers of the second schema resolve it and skip the lines
        Enrichment chunk = enrichment();
        chunk.setLines(e.getLines());
        byte[] chunkBytes = AvroCodec.enrichment().encode(chunk);
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(
                enrichmentSchema(3), enrichmentSchema(2))
                .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(chunkBytes, 10, chunkBytes.length - 10, null));
        assertThat(old.get("kind").toString()).isEqualTo("CHUNK");
        assertThat(old.getSchema().getField("lines")).isNull();
    }

    @Test
    void alertsRoundTrip() throws Exception {
        io.spikestream.avro.Alert a = io.spikestream.avro.Alert.newBuilder().setDocId("d").setLine(3).setText("x").setScore(2.5)
                .setMaxSurprisal(4).setThreshold(1.25).setThresholdName("p99.9").setSourceTopic("t").setPartition(null).setOffset(null)
                .setSeq(12L).setRecordKey(null).setTokenStart(1).setTokenEnd(2).setModelFingerprint("f").setProcessedAtMs(5).build();
        assertThat(AvroCodec.alert().decode(AvroCodec.alert().encode(a))).isEqualTo(a);
        // a paragraph alert (0.3: meanSurprisal and segment) round-trips in the current schema; one without them is
        // written in the schema before, as a job before 0.3 wrote it
        io.spikestream.avro.Alert p = io.spikestream.avro.Alert.newBuilder(a).setLineEnd(9L).setMeanSurprisal(4.25).setSegment("paragraph").build();
        byte[] pb = AvroCodec.alert().encode(p);
        assertThat(headerFingerprint(pb)).isEqualTo(AvroCodec.alert().fingerprint());
        assertThat(AvroCodec.alert().decode(pb)).isEqualTo(p);
        org.apache.avro.Schema v2;
        try (var in = AvroCodec.class.getResourceAsStream("/io/spikestream/avro/history/Alert-2.avsc")) {
            v2 = new org.apache.avro.Schema.Parser().parse(in);
        }
        assertThat(headerFingerprint(AvroCodec.alert().encode(io.spikestream.avro.Alert.newBuilder(a).setLineEnd(9L).build())))
                .isEqualTo(org.apache.avro.SchemaNormalization.parsingFingerprint64(v2));
        assertThatThrownBy(() -> AvroCodec.alert().decode(AvroCodec.enrichment().encode(enrichment())))
                .hasMessageContaining("the record is a io.spikestream.avro.Enrichment");
    }

    @Test
    void aRecordInTheFirstSchemaIsReadIntoTheCurrentClass() throws Exception {
        org.apache.avro.Schema v1 = firstEnrichmentSchema();
        byte[] bytes = new org.apache.avro.message.BinaryMessageEncoder<Enrichment>(org.apache.avro.specific.SpecificData.getForClass(
                Enrichment.class), v1).encode(enrichment()).array();
        Enrichment read = AvroCodec.enrichment().decode(bytes);
        assertThat(read).isEqualTo(enrichment());
        assertThat(read.getSpikes()).isNull();
    }

    @Test
    void singleObjectHeader() {
        byte[] bytes = AvroCodec.documentChunk().encode(chunk());
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        long fp = 0;
        for (int i = 0; i < 8; i++) {
            fp |= (bytes[2 + i] & 0xffL) << (8 * i);
        }
        assertThat(fp).isEqualTo(AvroCodec.documentChunk().fingerprint());
    }

    @Test
    void badBytesAreRefusedWithTheReason() {
        AvroCodec<DocumentChunk> codec = AvroCodec.documentChunk();
        byte[] good = codec.encode(chunk());
        assertReason(() -> codec.decode(new byte[0]), Reason.EMPTY);
        assertReason(() -> codec.decode(null), Reason.EMPTY);
        assertReason(() -> codec.decode(Arrays.copyOf(good, 5)), Reason.TRUNCATED_HEADER);
        byte[] magic = good.clone();
        magic[0] = '{';
        assertReason(() -> codec.decode(magic), Reason.BAD_MAGIC);
        assertReason(() -> codec.decode(AvroCodec.enrichment().encode(enrichment())), Reason.UNKNOWN_FINGERPRINT);
        assertThatThrownBy(() -> codec.decode(AvroCodec.enrichment().encode(enrichment())))
                .hasMessageContaining("the record is a io.spikestream.avro.Enrichment");
        assertReason(() -> codec.decode(Arrays.copyOf(good, good.length - 3)), Reason.TRUNCATED);
        byte[] longer = Arrays.copyOf(good, good.length + 2);
        assertReason(() -> codec.decode(longer), Reason.TRAILING_BYTES);
    }

    @Test
    void randomBytesNeverDecodeToGarbage() {
        AvroCodec<DocumentChunk> codec = AvroCodec.documentChunk();
        byte[] good = codec.encode(chunk());
        SplittableRandom rnd = new SplittableRandom(3);
        int refused = 0;
        for (int trial = 0; trial < 2000; trial++) {
            byte[] b = good.clone();
            // keep the header, scramble the body
            for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                int at = 10 + rnd.nextInt(b.length - 10);
                b[at] = (byte) rnd.nextInt(256);
            }
            try {
                DocumentChunk decoded = codec.decode(b);
                assertThat(AvroCodec.documentChunk().encode(decoded)).as("a decoded record re-encodes to the same bytes").isEqualTo(b);
            } catch (AvroDecodeException e) {
                refused++;
                assertThat(e.reason()).isIn(Reason.TRUNCATED, Reason.MALFORMED, Reason.TRAILING_BYTES);
            }
        }
        assertThat(refused).isPositive();
    }

    @Test
    void flinkUsesItsAvroSerializerNotKryo() {
        assertThat(TypeInformation.of(DocumentChunk.class)).isInstanceOf(AvroTypeInfo.class);
        assertThat(TypeInformation.of(Enrichment.class)).isInstanceOf(AvroTypeInfo.class);
        assertThat(TypeInformation.of(Rejected.class)).isInstanceOf(AvroTypeInfo.class);
    }

    @Test
    void jsonIsValidAndNamesTheSchemaFields() {
        String json = AvroJson.toJson(enrichment());
        Map<String, Object> parsed = io.spikestream.engine.json.Json.parseObject(json);
        assertThat(parsed).containsEntry("kind", "CHUNK").containsEntry("queryId", null).containsEntry("stateBytesWritten", 2048L);
        assertThat(parsed.keySet()).containsExactlyElementsOf(
                Enrichment.getClassSchema().getFields().stream().map(org.apache.avro.Schema.Field::name).toList());
    }

    private static void assertReason(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOf(AvroDecodeException.class)
                .satisfies(e -> assertThat(((AvroDecodeException) e).reason()).isEqualTo(reason));
    }
}
