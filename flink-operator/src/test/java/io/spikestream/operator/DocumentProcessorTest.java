package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.LabelScore;
import io.spikestream.avro.QueryKind;
import io.spikestream.avro.Rejected;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocumentProcessorTest {
    static final String LOG = TestModel.CORPUS.repeat(3);
    static final String CONTRACT = "WHEREAS the Licensor wishes to grant a licence; Either Party may terminate. ".repeat(6);

    static List<DocumentChunk> interleaved() {
        List<DocumentChunk> a = OperatorHarness.chunks("log", LOG, 37, 5, 90, 13);
        List<DocumentChunk> b = OperatorHarness.chunks("contract", CONTRACT, 29, 61);
        List<DocumentChunk> out = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                out.add(a.get(i));
            }
            if (i < b.size()) {
                out.add(b.get(i));
            }
        }
        return out;
    }

    static List<Enrichment> uninterrupted(OperatorOptions options, List<DocumentChunk> input) throws Exception {
        try (OperatorHarness h = new OperatorHarness(options, null)) {
            for (DocumentChunk c : input) {
                h.chunk(c);
            }
            assertThat(h.rejected()).isEmpty();
            return h.output();
        }
    }

    /** The output of {@code input} with a snapshot after {@code cut} chunks, restored into a new operator for the rest. */
    static List<Enrichment> restoredAt(OperatorOptions options, List<DocumentChunk> input, int cut) throws Exception {
        List<Enrichment> got = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OperatorHarness first = new OperatorHarness(options, null)) {
            for (DocumentChunk c : input.subList(0, cut)) {
                first.chunk(c);
            }
            snapshot = first.snapshot(cut);
            got.addAll(first.output());
        }
        try (OperatorHarness second = new OperatorHarness(options, snapshot)) {
            for (DocumentChunk c : input.subList(cut, input.size())) {
                second.chunk(c);
            }
            got.addAll(second.output());
        }
        return got;
    }

    @Test
    void snapshotMidDocumentAndRestoreGivesTheUninterruptedOutput() throws Exception {
        List<DocumentChunk> input = interleaved();
        List<Enrichment> expected = uninterrupted(OperatorHarness.options(), input);
        assertThat(expected.stream().filter(e -> e.getKind() == EnrichmentKind.END)).hasSize(2);
        assertThat(expected.stream().filter(e -> e.getKind() == EnrichmentKind.CHUNK)).hasSize(input.size());
        for (int cut : new int[] {1, 3, input.size() / 2, input.size() - 2}) {
            assertThat(restoredAt(OperatorHarness.options(), input, cut)).as("restored after %d chunks", cut).isEqualTo(expected);
        }
    }

    /**
     * A spikingbrain_moe model, whose full-attention layer keeps every position (paged into RocksDB by position):
     * snapshots mid-document restore to the uninterrupted output.
     */
    @Test
    void aSpikingBrainMoeModelsGrowingStateSurvivesSnapshotAndRestore() throws Exception {
        OperatorOptions options = OperatorHarness.options(TestModel.moeDir());
        List<DocumentChunk> input = interleaved();
        List<Enrichment> expected = uninterrupted(options, input);
        for (int cut : new int[] {1, input.size() / 2, input.size() - 1}) {
            assertThat(restoredAt(options, input, cut)).as("restored after %d chunks", cut).isEqualTo(expected);
        }
        assertThat(expected.stream().filter(e -> e.getKind() == EnrichmentKind.END)).hasSize(2);
    }

    /** Past --max-document-tokens the chunk is rejected with the reason, the document with it; what came before stays read. */
    @Test
    void aDocumentThatWouldPassMaxDocumentTokensIsRejectedWithTheReason() throws Exception {
        List<DocumentChunk> input = OperatorHarness.chunks("log", LOG, 40);
        int[] tokens = new int[input.size()];
        try (io.spikestream.engine.Engine engine = io.spikestream.engine.Engine.load(TestModel.moeDir(),
                new io.spikestream.engine.EngineOptions(1))) {
            io.spikestream.engine.state.DocumentState doc = engine.newDocument();
            for (int i = 0; i < input.size(); i++) {
                tokens[i] = engine.tokenizeText(doc, input.get(i).getText().toString(), input.get(i).getLast()).ids().length;
            }
            assertThat(DocumentTokenLimit.AUTO.resolve(engine.model())).as("1 GiB / (2 × 32 floats × 4 B)").isEqualTo(4_194_304L);
        }
        try (io.spikestream.engine.Engine engine = io.spikestream.engine.Engine.load(TestModel.dir(), new io.spikestream.engine.EngineOptions(1))) {
            assertThat(DocumentTokenLimit.AUTO.resolve(engine.model())).as("constant state: no limit").isEqualTo(Long.MAX_VALUE);
        }
        int crossing = 3;
        long before = tokens[0] + tokens[1] + tokens[2];
        long limit = before + tokens[3] - 1;
        OperatorOptions o = OperatorHarness.options(TestModel.moeDir()).withMaxDocumentTokens(new DocumentTokenLimit(limit));
        try (OperatorHarness h = new OperatorHarness(o, null)) {
            for (DocumentChunk c : input.subList(0, crossing + 2)) {
                h.chunk(c);
            }
            assertThat(h.output()).extracting(Enrichment::getSeq).containsExactly(0L, 1L, 2L);
            assertThat(h.rejected()).hasSize(2); // the chunk past the limit, then the next one: its document was rejected
            assertThat(h.rejected().get(0).getReason().toString()).isEqualTo("the document would grow to " + (before + tokens[3]) + " tokens ("
                    + before + " read, " + tokens[3] + " more in this element), past --max-document-tokens " + limit);
            assertThat(h.rejected().get(1).getReason().toString()).contains("was rejected earlier");
        }
        assertThatThrownBy(() -> DocumentTokenLimit.parse("0")).hasMessageContaining("positive number, auto or off");
        assertThat(DocumentTokenLimit.parse("off")).isEqualTo(DocumentTokenLimit.OFF);
    }

    @Test
    void aSpikingModelsChunksCarryTheirSpikeStatisticsThroughSnapshotAndRestore() throws Exception {
        OperatorOptions options = OperatorHarness.options(TestModel.spikingDir());
        List<DocumentChunk> input = interleaved();
        List<Enrichment> expected = uninterrupted(options, input);
        assertThat(restoredAt(options, input, input.size() / 2)).isEqualTo(expected);
        // Each CHUNK's statistics are the engine's for that chunk: 1792 spiked activations per token in this model.
        try (io.spikestream.engine.Engine engine = io.spikestream.engine.Engine.load(TestModel.spikingDir(),
                new io.spikestream.engine.EngineOptions(1))) {
            java.util.Map<String, io.spikestream.engine.state.DocumentState> docs = new java.util.HashMap<>();
            int withTokens = 0;
            for (Enrichment e : expected) {
                if (e.getKind() != EnrichmentKind.CHUNK) {
                    assertThat(e.getSpikes()).isNull();
                    continue;
                }
                DocumentChunk c = input.stream().filter(x -> x.getDocId().equals(e.getDocId()) && x.getSeq() == e.getSeq())
                        .findFirst().orElseThrow();
                io.spikestream.engine.state.DocumentState doc = docs.computeIfAbsent(e.getDocId(), d -> engine.newDocument());
                var r = engine.advanceText(doc, c.getText(), c.getLast()).result();
                long n = e.getTokenEnd() - e.getTokenStart();
                assertThat(e.getSpikes().getActivations()).isEqualTo(1792 * n);
                if (n > 0) {
                    withTokens++;
                    assertThat(e.getSpikes()).isEqualTo(io.spikestream.operator.process.OutputRecords.spikeRecord(r.spikes().summary()));
                    assertThat(e.getSpikes().getEnergyPicojoulesPerToken()).isLessThan(e.getSpikes().getDenseEnergyPicojoulesPerToken());
                }
            }
            assertThat(withTokens).isGreaterThan(5);
        }
    }

    @Test
    void aFloatModelsChunksHaveNoSpikeStatistics() throws Exception {
        List<Enrichment> out = uninterrupted(OperatorHarness.options(), OperatorHarness.chunks("log", LOG, 50));
        assertThat(out).allSatisfy(e -> assertThat(e.getSpikes()).isNull());
    }

    @Test
    void chunkRecordsDescribeTheText() throws Exception {
        List<Enrichment> out = uninterrupted(OperatorHarness.options(), OperatorHarness.chunks("log", LOG, 50));
        long position = 0;
        for (Enrichment e : out) {
            if (e.getKind() == EnrichmentKind.CHUNK) {
                assertThat(e.getTokenStart()).isEqualTo(position);
                position = e.getTokenEnd();
                if (e.getMeanSurprisal() != null) {
                    assertThat(e.getPerplexity()).isCloseTo(Math.exp(e.getMeanSurprisal()), org.assertj.core.data.Offset.offset(1e-9));
                    assertThat(e.getMaxSurprisal()).isGreaterThanOrEqualTo(e.getMeanSurprisal());
                    assertThat(e.getSpans()).isNotEmpty();
                    assertThat(e.getSpans().get(0).getSurprisal()).isEqualTo(e.getMaxSurprisal());
                }
                assertThat(e.getModelFingerprint()).hasSize(64);
                assertThat(e.getStateBytes()).isPositive();
            }
        }
        Enrichment end = out.get(out.size() - 1);
        assertThat(end.getKind()).isEqualTo(EnrichmentKind.END);
        assertThat(end.getTokenEnd()).isEqualTo(position);
        assertThat(position).isGreaterThan(100);
        // spans point into their chunk's text; a token wholly in text carried from the previous chunk has an
        // empty range and its own (non-empty) text, found at the end of the previous chunk
        List<DocumentChunk> chunks = OperatorHarness.chunks("log", LOG, 50);
        for (Enrichment e : out) {
            if (e.getKind() == EnrichmentKind.CHUNK) {
                int seq = e.getSeq().intValue();
                String text = chunks.get(seq).getText();
                e.getSpans().forEach(s -> {
                    if (s.getCharStart() == s.getCharEnd()) {
                        assertThat(s.getCharStart()).isZero();
                        assertThat(s.getText()).isNotEmpty();
                        assertThat(chunks.get(seq - 1).getText()).contains(s.getText());
                    } else {
                        assertThat(text.substring(s.getCharStart(), s.getCharEnd())).isEqualTo(s.getText());
                    }
                });
            }
        }
    }

    @Test
    void chunkRecordsCarryTheLinesTheyCompleteTheSameForAnyChunking() throws Exception {
        List<io.spikestream.avro.LineSurprisal> whole = lines(uninterrupted(OperatorHarness.options(), OperatorHarness.chunks("log", LOG, LOG.length())));
        String[] expected = LOG.split("\n", -1);
        int count = LOG.endsWith("\n") ? expected.length - 1 : expected.length;
        assertThat(count).isGreaterThan(5);
        assertThat(whole).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(whole.get(i).getLine()).isEqualTo(i);
            assertThat(whole.get(i).getText()).isEqualTo(expected[i]);
        }
        assertThat(whole).filteredOn(l -> l.getMeanSurprisal() != null).hasSizeGreaterThan(count / 2);
        for (int size : new int[] {7, 50, 301}) {
            assertThat(lines(uninterrupted(OperatorHarness.options(), OperatorHarness.chunks("log", LOG, size)))).as("chunks of " + size)
                    .usingRecursiveFieldByFieldElementComparatorIgnoringFields("charStart", "charEnd").isEqualTo(whole);
        }
    }

    private static List<io.spikestream.avro.LineSurprisal> lines(List<Enrichment> out) {
        List<io.spikestream.avro.LineSurprisal> all = new ArrayList<>();
        out.stream().filter(e -> e.getKind() == EnrichmentKind.CHUNK).forEach(e -> all.addAll(e.getLines()));
        return all;
    }

    @Test
    void outOfOrderAndDuplicatedChunksGiveTheInOrderOutput() throws Exception {
        List<DocumentChunk> input = OperatorHarness.chunks("log", LOG, 40);
        List<Enrichment> expected = uninterrupted(OperatorHarness.options(), input);
        List<DocumentChunk> shuffled = new ArrayList<>();
        Random rnd = new Random(4);
        for (int i = 0; i < input.size(); i += 4) { // shuffle within windows of 4 (inside the buffer bound)
            List<DocumentChunk> window = new ArrayList<>(input.subList(i, Math.min(input.size(), i + 4)));
            Collections.shuffle(window, rnd);
            shuffled.addAll(window);
            shuffled.add(window.get(0)); // an at-least-once producer's retry
        }
        shuffled.add(input.get(0));
        try (OperatorHarness h = new OperatorHarness(OperatorHarness.options(), null)) {
            for (DocumentChunk c : shuffled) {
                h.chunk(c);
            }
            // chunks that waited are stored with the one they waited for, in one write
            assertThat(withoutWrites(h.output())).isEqualTo(withoutWrites(expected));
            assertThat(written(h.output())).isPositive().isLessThan(written(expected));
            assertThat(h.rejected()).isEmpty();
        }
    }

    @Test
    void aGapThatNeverFillsRejectsTheDocumentAfterTheTimeout() throws Exception {
        OperatorOptions o = OperatorHarness.options().withBuffering(8, 1 << 20, Duration.ofSeconds(30));
        List<DocumentChunk> input = OperatorHarness.chunks("log", LOG, 40);
        try (OperatorHarness h = new OperatorHarness(o, null)) {
            h.time(1_000);
            h.chunk(input.get(0));
            h.chunk(input.get(2));
            h.chunk(input.get(3));
            h.time(20_000);
            assertThat(h.rejected()).isEmpty();
            h.time(31_001);
            List<Rejected> rejected = h.rejected();
            assertThat(rejected).hasSize(2);
            assertThat(rejected.get(0).getReason()).contains("seq 1 did not arrive within PT30S");
            assertThat(rejected.get(0).getDocId()).isEqualTo("log");
            h.chunk(input.get(1));
            assertThat(h.rejected()).hasSize(3);
            assertThat(h.rejected().get(2).getReason()).contains("was rejected earlier");
            assertThat(h.output()).hasSize(1); // only chunk 0 was applied
        }
    }

    @Test
    void aFullBufferRejectsTheDocument() throws Exception {
        OperatorOptions o = OperatorHarness.options().withBuffering(2, 1 << 20, Duration.ofMinutes(5));
        List<DocumentChunk> input = OperatorHarness.chunks("log", LOG, 40);
        try (OperatorHarness h = new OperatorHarness(o, null)) {
            h.chunk(input.get(0));
            h.chunk(input.get(2));
            h.chunk(input.get(3));
            h.chunk(input.get(4));
            assertThat(h.rejected()).extracting(Rejected::getReason).anyMatch(r -> r.contains("buffer of early chunks is full"));
            assertThat(h.rejected()).hasSize(3); // the chunk that overflowed and the two waiting ones
        }
    }

    @Test
    void oversizedChunksAndChunksAfterTheEndAreRejected() throws Exception {
        OperatorOptions o = OperatorHarness.options().withLimits(100, 5, false);
        try (OperatorHarness h = new OperatorHarness(o, null)) {
            h.chunk(OperatorHarness.chunk("big", 0, "x".repeat(101), false));
            assertThat(h.rejected()).singleElement().satisfies(r -> assertThat(r.getReason()).contains("oversized chunk: 101 chars"));
            h.chunk(OperatorHarness.chunk("small", 0, "short text", true));
            h.chunk(OperatorHarness.chunk("small", 0, "short text", true)); // a duplicate of the last chunk: dropped
            h.chunk(OperatorHarness.chunk("small", 1, "too late", false));
            assertThat(h.rejected()).hasSize(2);
            assertThat(h.rejected().get(1).getReason()).contains("which ended at seq 0");
            assertThat(h.output()).extracting(Enrichment::getKind).containsExactly(EnrichmentKind.CHUNK, EnrichmentKind.END);
        }
    }

    @Test
    void queriesAreAnsweredFromAForkAndLeaveTheDocumentUnchanged() throws Exception {
        List<DocumentChunk> input = OperatorHarness.chunks("contract", CONTRACT, 45);
        List<Enrichment> expected = uninterrupted(OperatorHarness.options(), input);
        try (OperatorHarness h = new OperatorHarness(OperatorHarness.options(), null)) {
            int half = input.size() / 2;
            for (DocumentChunk c : input.subList(0, half)) {
                h.chunk(c);
            }
            h.query(OperatorHarness.query("contract", "g1", QueryKind.GENERATE, "The Licensee", List.of()));
            h.query(OperatorHarness.query("contract", "g2", QueryKind.GENERATE, "The Licensee", List.of()));
            h.query(OperatorHarness.query("contract", "s1", QueryKind.SCORE_LABELS, "This clause is about", List.of(" termination", " payment")));
            h.query(OperatorHarness.query("contract", "e1", QueryKind.EMBED, null, List.of()));
            h.query(OperatorHarness.query("unknown", "u1", QueryKind.EMBED, null, List.of()));
            for (DocumentChunk c : input.subList(half, input.size())) {
                h.chunk(c);
            }
            List<Enrichment> out = h.output();
            List<Enrichment> answers = out.stream().filter(e -> e.getKind() == EnrichmentKind.ANSWER).toList();
            assertThat(out.stream().filter(e -> e.getKind() != EnrichmentKind.ANSWER).collect(Collectors.toList())).isEqualTo(expected);
            assertThat(answers).hasSize(5);
            assertThat(answers.get(0).getAnswer()).isNotNull().isEqualTo(answers.get(1).getAnswer());
            assertThat(answers.get(0).getError()).isNull();
            List<LabelScore> scores = answers.get(2).getLabelScores();
            assertThat(scores).extracting(LabelScore::getLabel).containsExactly(" termination", " payment");
            assertThat(scores.stream().mapToDouble(LabelScore::getProbability).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(answers.get(3).getEmbedding()).hasSize(64);
            assertThat(answers.get(4).getError()).contains("no document unknown");
        }
    }

    @Test
    void inactiveDocumentsExpireAndEndedOnesStayQueryableForTheGracePeriod() throws Exception {
        OperatorOptions o = OperatorHarness.options().withLifetimes(Duration.ofMinutes(60), Duration.ofMinutes(5));
        try (OperatorHarness h = new OperatorHarness(o, null)) {
            h.time(0);
            h.chunk(OperatorHarness.chunk("ended", 0, "Either Party may terminate.", true));
            h.chunk(OperatorHarness.chunk("idle", 0, "WHEREAS the Licensor wishes", false));
            h.time(60_000);
            h.query(OperatorHarness.query("ended", "q1", QueryKind.EMBED, null, List.of()));
            h.time(5 * 60_000 + 1);
            h.query(OperatorHarness.query("ended", "q2", QueryKind.EMBED, null, List.of()));
            h.query(OperatorHarness.query("idle", "q3", QueryKind.EMBED, null, List.of()));
            h.time(5 * 60_000 + 1 + 60 * 60_000 - 10);
            h.query(OperatorHarness.query("idle", "q3b", QueryKind.EMBED, null, List.of())); // activity restarts the TTL
            h.time(5 * 60_000 + 1 + 60 * 60_000 - 10 + 60 * 60_000);
            h.query(OperatorHarness.query("idle", "q4", QueryKind.EMBED, null, List.of()));
            List<Enrichment> answers = h.output().stream().filter(e -> e.getKind() == EnrichmentKind.ANSWER).toList();
            assertThat(answers.get(0).getError()).isNull();
            assertThat(answers.get(1).getError()).contains("grace period over");
            assertThat(answers.get(2).getError()).isNull();
            assertThat(answers.get(3).getError()).isNull();
            assertThat(answers.get(4).getError()).contains("no document idle");
        }
    }

    /**
     * Bytes written per chunk follow the formula: the header, every GLA layer's state (S and the open block),
     * and only the key/value pages whose ring slots the chunk's positions fall in (tiny model: H 64, kv 2,
     * D 16, GLA layers 0 and 2, window layers 1 and 3 with W 7, pages of 2 slots).
     */
    @Test
    void bytesWrittenPerChunkFollowTheFormula() throws Exception {
        int h = 64;
        int kvDim = 32;
        int w = 7;
        int page = 2;
        List<DocumentChunk> input = OperatorHarness.chunks("log", LOG, 1, 3, 20, 2, 60, 7);
        List<Enrichment> out = uninterrupted(OperatorHarness.options(), input);
        try (io.spikestream.engine.Engine engine = io.spikestream.engine.Engine.load(TestModel.dir(),
                new io.spikestream.engine.EngineOptions(1))) {
            io.spikestream.engine.state.DocumentState doc = engine.newDocument();
            int checked = 0;
            for (Enrichment e : out) {
                if (e.getKind() != EnrichmentKind.CHUNK) {
                    continue;
                }
                DocumentChunk c = input.get(e.getSeq().intValue());
                engine.advanceText(doc, c.getText(), c.getLast());
                long start = e.getTokenStart();
                long n = e.getTokenEnd() - start;
                long end = e.getTokenEnd();
                long expected = 4 + 2 + 32 + 8 + 8 + 4 + 4L * h + 4 + doc.tokenizerTail().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 4;
                if (n > 0) {
                    expected += 2 * (4 + 4 + 8 + 4L * (2 * 16 * 16 + 3 * (end % 16) * kvDim) + 4);
                    java.util.Set<Long> pages = new java.util.TreeSet<>();
                    for (long p = Math.max(start, end - w); p < end; p++) {
                        pages.add((p % w) / page);
                    }
                    for (long pg : pages) {
                        long slots = Math.min(page, w - pg * page);
                        expected += 2 * (12 + 8 * slots * kvDim + 4);
                    }
                }
                assertThat(e.getStateBytesWritten()).as("chunk %d (%d tokens at %d)", e.getSeq(), n, start).isEqualTo(expected);
                if (n == 1) {
                    assertThat(e.getStateBytesWritten()).as("one token rewrites one page per window layer, not the window")
                            .isLessThan(e.getStateBytes());
                }
                checked++;
            }
            assertThat(checked).isEqualTo(input.size());
        }
    }

    static List<Enrichment> withoutWrites(List<Enrichment> out) {
        return out.stream().map(e -> Enrichment.newBuilder(e).setStateBytesWritten(0).build()).toList();
    }

    static long written(List<Enrichment> out) {
        return out.stream().mapToLong(Enrichment::getStateBytesWritten).sum();
    }
}
