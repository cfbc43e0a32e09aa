package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.EnrichmentKind;
import io.spikestream.avro.QueryKind;
import io.spikestream.operator.input.Record;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bundles change when elements are applied, never what comes out: for records of many documents (one engine pass
 * per document per bundle) and for chunks, bundles of 1, 7, 64 and the default give the output of element by
 * element — but for {@code stateBytesWritten}, which counts the writes that happened — also when a snapshot is
 * taken while elements wait in a bundle and the operator is restored from it; and a query sees its document with
 * every record that came before it.
 */
class BundleTest {
    static final List<Bundles> SIZES = List.of(new Bundles(1, Duration.ZERO), new Bundles(7, Duration.ofSeconds(1)),
            new Bundles(64, Duration.ofSeconds(1)), Bundles.DEFAULT, new Bundles(10_000, Duration.ofHours(1), 400));

    /** 90 records of 5 documents over 2 partitions, interleaved; a replayed offset, an oversized record, a question. */
    static List<Object> records() {
        List<String> lines = TestModel.CORPUS.lines().toList();
        List<Object> out = new ArrayList<>();
        long[] offsets = new long[2];
        for (int i = 0; i < 90; i++) {
            String key = "doc-" + (i * 7 % 5);
            int partition = key.hashCode() & 1;
            String text = i % 4 == 3 ? lines.get(i % lines.size()) + "\n" + lines.get((i + 2) % lines.size()) : lines.get(i % lines.size()) + " #" + i;
            if (i == 41) {
                text = "x".repeat(3000);
            }
            out.add(new Record(key, text, new RecordSource("topic", partition, offsets[partition]++, key)));
            if (i == 50) {
                out.add(new Record("doc-0", "a replay", new RecordSource("topic", "doc-0".hashCode() & 1, 3, "doc-0")));
            }
            if (i == 60) {
                out.add(OperatorHarness.query("doc-2", "q", QueryKind.EMBED, "", List.of()));
            }
        }
        return out;
    }

    static List<Object> chunks() {
        List<DocumentChunk> a = OperatorHarness.chunks("log", TestModel.CORPUS.repeat(3), 37, 5, 90, 13);
        List<DocumentChunk> b = OperatorHarness.chunks("contract", "WHEREAS the Licensor wishes to grant a licence. ".repeat(6), 29, 61);
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < b.size()) {
                out.add(b.get(b.size() - 1 - i)); // the contract arrives backwards: all but one chunk wait
            }
            if (i < a.size()) {
                out.add(a.get(i));
            }
        }
        return out;
    }

    static OperatorHarness harness(boolean records, Bundles bundles, OperatorSubtaskState restore) throws Exception {
        OperatorOptions o = OperatorHarness.options().withLimits(2000, 5, false);
        return records ? OperatorHarness.records(o, "3.0", bundles, restore) : new OperatorHarness(o, bundles, restore);
    }

    static void feed(OperatorHarness h, List<Object> elements) throws Exception {
        for (Object e : elements) {
            if (e instanceof Record r) {
                h.record(r);
            } else if (e instanceof DocumentChunk c) {
                h.chunk(c);
            } else {
                h.query((io.spikestream.avro.DocumentQuery) e);
            }
        }
    }

    /**
     * Everything emitted, per output and document in order (the order across documents is not kept: a bundle
     * applies one document's elements together), without the count of bytes written (it depends on how many
     * writes happened).
     */
    static Map<String, List<SpecificRecord>> comparable(List<SpecificRecord> emitted) {
        Map<String, List<SpecificRecord>> out = new TreeMap<>();
        for (SpecificRecord r : emitted) {
            String doc = String.valueOf(r.get(r.getSchema().getField("docId").pos()));
            SpecificRecord c = r instanceof Enrichment e ? Enrichment.newBuilder(e).setStateBytesWritten(0).build() : r;
            out.computeIfAbsent(r.getSchema().getName() + " " + doc, k -> new ArrayList<>()).add(c);
        }
        return out;
    }

    static List<SpecificRecord> run(boolean records, Bundles bundles, List<Object> input) throws Exception {
        try (OperatorHarness h = harness(records, bundles, null)) {
            feed(h, input);
            h.endInput();
            return h.emitted();
        }
    }

    @Test
    void everyBundleSizeGivesTheOutputOfElementByElement() throws Exception {
        for (boolean records : List.of(true, false)) {
            List<Object> input = records ? records() : chunks();
            List<SpecificRecord> expected = run(records, Bundles.NONE, input);
            assertThat(expected.stream().filter(r -> r instanceof Enrichment e && e.getKind() == EnrichmentKind.ANSWER))
                    .hasSize(records ? 1 : 0);
            for (Bundles b : SIZES) {
                List<SpecificRecord> got = run(records, b, input);
                assertThat(comparable(got)).as("%s in %s", records ? "records" : "chunks", b)
                        .isEqualTo(comparable(expected));
            }
        }
    }

    @Test
    void aSnapshotWhileElementsWaitInABundleRestoresWithNothingLostOrTwice() throws Exception {
        for (boolean records : List.of(true, false)) {
            List<Object> input = records ? records() : chunks();
            Map<String, List<SpecificRecord>> expected = comparable(run(records, Bundles.NONE, input));
            for (int cut : new int[] {5, input.size() / 2, input.size() - 3}) {
                List<SpecificRecord> got = new ArrayList<>();
                OperatorSubtaskState snapshot;
                try (OperatorHarness first = harness(records, new Bundles(64, Duration.ofHours(1)), null)) {
                    feed(first, input.subList(0, cut));
                    snapshot = first.snapshot(1);
                    got.addAll(first.emitted());
                }
                try (OperatorHarness second = harness(records, new Bundles(64, Duration.ofHours(1)), snapshot)) {
                    feed(second, input.subList(cut, input.size()));
                    second.endInput();
                    got.addAll(second.emitted());
                }
                assertThat(comparable(got)).as("%s restored after %d", records ? "records" : "chunks", cut).isEqualTo(expected);
            }
        }
    }

    @Test
    void aBundleWritesEachDocumentsStateOnce() throws Exception {
        for (boolean records : List.of(true, false)) {
            List<Object> input = records ? records() : chunks();
            List<Enrichment> single = scored(run(records, Bundles.NONE, input));
            List<Enrichment> bundled = scored(run(records, new Bundles(10_000, Duration.ofHours(1)), input));
            // element by element every element that added tokens wrote; in one bundle, one element per document did
            // (and doc-2 once more: the question about it applies what was gathered for it before it is answered)
            assertThat(single.stream().filter(e -> e.getStateBytesWritten() > 0).count()).as("writes, one by one")
                    .isGreaterThan(records ? 80 : 20);
            assertThat(bundled.stream().filter(e -> e.getStateBytesWritten() > 0).map(Enrichment::getDocId).toList())
                    .as("writes in one bundle").containsExactlyInAnyOrderElementsOf(records
                            ? List.of("doc-0", "doc-1", "doc-2", "doc-2", "doc-3", "doc-4") : List.of("log", "contract"));
            assertThat(written(bundled)).isPositive().isLessThan(written(single) / (records ? 5 : 3));
        }
    }

    @Test
    void aBundleIsAppliedWhenItHoldsTheCharactersItMay() throws Exception {
        List<Record> input = records().stream().filter(e -> e instanceof Record).map(e -> (Record) e).limit(20).toList();
        long bound = 500;
        try (OperatorHarness h = harness(true, new Bundles(10_000, Duration.ofHours(1), bound), null)) {
            long gathered = 0;
            int flushes = 0;
            for (Record r : input) {
                int before = scored(h.emitted()).size();
                h.record(r);
                gathered += r.text().length();
                int after = scored(h.emitted()).size();
                if (gathered >= bound) {
                    // everything gathered so far, this record included, was applied
                    assertThat(after).as("after %d characters", gathered).isGreaterThan(before);
                    gathered = 0;
                    flushes++;
                } else {
                    assertThat(after).as("after %d characters", gathered).isEqualTo(before);
                }
            }
            assertThat(flushes).isGreaterThan(1);
        }
    }

    private static List<Enrichment> scored(List<SpecificRecord> emitted) {
        return emitted.stream().filter(r -> r instanceof Enrichment e && (e.getKind() == EnrichmentKind.RECORD || e.getKind() == EnrichmentKind.CHUNK))
                .map(r -> (Enrichment) r).toList();
    }

    private static long written(List<Enrichment> out) {
        return out.stream().mapToLong(Enrichment::getStateBytesWritten).sum();
    }
}
