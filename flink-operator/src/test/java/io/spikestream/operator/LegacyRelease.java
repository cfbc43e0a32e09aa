package io.spikestream.operator;

import io.spikestream.avro.DocumentChunk;
import io.spikestream.avro.DocumentQuery;
import io.spikestream.avro.QueryKind;
import io.spikestream.operator.input.Record;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import java.util.ArrayList;
import java.util.List;

/**
 * What the operator of release 0.1 (the last one before the operator was split into parts) was fed before and
 * after a snapshot, in both input modes: the snapshots it took are committed under
 * {@code src/test/resources/io/spikestream/operator/legacy/}, with everything it emitted after them. The
 * inputs are fixed here, forever: a later operator restores the snapshot and must emit the same. (They were written by
 * {@code LegacyReleaseWriter}, run on release 0.1 itself; see the commit that added these fixtures.)
 *
 * <p>Chunks: two documents in flight, one with an early chunk waiting for a gap to fill (it fills after the
 * snapshot), one whose gap never fills (its timer fires after the snapshot), one ended and in its grace period
 * (queried, then cleared, then queried again), a duplicate. Records: plain-text records of two keys over two
 * partitions, a replayed offset, alerts above a fixed threshold.
 */
final class LegacyRelease {
    static final String CHUNKS = "release-0.1-chunks";
    static final String RECORDS = "release-0.1-records";
    static final long T0 = 1_000_000L;
    static final String LOG = TestModel.CORPUS.repeat(2);
    static final String CONTRACT = "WHEREAS the Licensor wishes to grant a licence; Either Party may terminate. ".repeat(3);

    private LegacyRelease() {
    }

    static Path resource(String name) {
        return Path.of("src/test/resources/io/spikestream/operator/legacy").resolve(name);
    }

    /** The operator's settings in both modes (those of the job's defaults but for small pages and fixed lifetimes). */
    static OperatorOptions chunkOptions() {
        return OperatorHarness.options().withBuffering(8, 1 << 20, Duration.ofMinutes(2)).withLifetimes(Duration.ofDays(1), Duration.ofMinutes(5));
    }

    /** Records alert above this (nats per token). */
    static final String RECORD_ALERTS = "3.0";

    static OperatorOptions recordOptions() {
        return chunkOptions();
    }

    /** The harness of a mode: chunks, or records alerting above {@link #RECORD_ALERTS}. */
    static OperatorHarness harness(String name, OperatorSubtaskState restoreFrom) throws Exception {
        return name.equals(CHUNKS) ? new OperatorHarness(chunkOptions(), restoreFrom)
                : OperatorHarness.records(recordOptions(), RECORD_ALERTS, Bundles.NONE, restoreFrom);
    }

    /** One step of the script: a chunk or record, a query, or the processing time moving on. */
    sealed interface Step permits Element, Ask, Clock {
    }

    /** A chunk ({@code DocumentChunk}) or a record ({@link Record}). */
    record Element(Object element) implements Step {
    }

    record Ask(DocumentQuery query) implements Step {
    }

    record Clock(long ms) implements Step {
    }

    static List<Step> chunksBefore() {
        List<Step> s = new ArrayList<>();
        s.add(new Clock(T0));
        List<DocumentChunk> log = OperatorHarness.chunks("log", LOG, 41, 7, 83);
        List<DocumentChunk> contract = OperatorHarness.chunks("contract", CONTRACT, 53);
        List<DocumentChunk> ended = OperatorHarness.chunks("ended", TestModel.CORPUS, 60);
        for (int i = 0; i < 4; i++) {
            s.add(new Element(log.get(i)));
            s.add(new Element(contract.get(i)));
        }
        ended.forEach(c -> s.add(new Element(c)));
        s.add(new Element(log.get(5))); // early: seq 4 is missing until after the snapshot
        s.add(new Element(OperatorHarness.chunk("stuck", 0, "2026-11-01T00:00:00.000Z INFO  [auth-0] first\n", false)));
        s.add(new Element(OperatorHarness.chunk("stuck", 2, "2026-11-01T00:00:02.000Z INFO  [auth-0] third\n", false)));
        s.add(new Clock(T0 + 10_000));
        return s;
    }

    static List<Step> chunksAfter() {
        List<Step> s = new ArrayList<>();
        List<DocumentChunk> log = OperatorHarness.chunks("log", LOG, 41, 7, 83);
        List<DocumentChunk> contract = OperatorHarness.chunks("contract", CONTRACT, 53);
        s.add(new Clock(T0 + 10_000)); // where the clock stood at the snapshot (a restored harness starts at 0)
        s.add(new Element(log.get(2))); // a duplicate
        s.add(new Ask(OperatorHarness.query("ended", "q-labels", QueryKind.SCORE_LABELS, "\nThis document is about", List.of(" logs", " a contract"))));
        s.add(new Ask(OperatorHarness.query("log", "q-generate", QueryKind.GENERATE, "\n", List.of())));
        for (int i = 4; i < log.size(); i++) {
            if (i != 5) {
                s.add(new Element(log.get(i)));
            }
        }
        for (int i = 4; i < contract.size(); i++) {
            s.add(new Element(contract.get(i)));
        }
        s.add(new Ask(OperatorHarness.query("contract", "q-embed", QueryKind.EMBED, "", List.of())));
        s.add(new Clock(T0 + Duration.ofMinutes(3).toMillis())); // the gap of "stuck" times out
        s.add(new Element(OperatorHarness.chunk("stuck", 1, "late\n", false)));
        s.add(new Clock(T0 + Duration.ofMinutes(6).toMillis())); // the grace periods end
        s.add(new Ask(OperatorHarness.query("ended", "q-after-grace", QueryKind.EMBED, "", List.of())));
        s.add(new Clock(T0 + Duration.ofDays(2).toMillis())); // everything expires
        s.add(new Ask(OperatorHarness.query("log", "q-expired", QueryKind.EMBED, "", List.of())));
        return s;
    }

    static List<Step> recordsBefore() {
        List<Step> s = new ArrayList<>();
        s.add(new Clock(T0));
        for (int i = 0; i < 10; i++) {
            s.add(new Element(record(i)));
        }
        s.add(new Clock(T0 + 1_000));
        return s;
    }

    static List<Step> recordsAfter() {
        List<Step> s = new ArrayList<>();
        s.add(new Clock(T0 + 1_000));
        s.add(new Element(record(8))); // replayed: a duplicate
        for (int i = 10; i < 18; i++) {
            s.add(new Element(record(i)));
        }
        s.add(new Ask(OperatorHarness.query("auth", "q-embed", QueryKind.EMBED, "", List.of())));
        return s;
    }

    /**
     * Record i: keys auth (partition 0) and payments (partition 1), offsets counting per partition. (Release 0.1
     * received it as a DocumentChunk whose attributes held these coordinates.)
     */
    static Record record(int i) {
        List<String> lines = TestModel.CORPUS.lines().toList();
        String key = i % 2 == 0 ? "auth" : "payments";
        int partition = i % 2;
        long offset = i / 2;
        String text = i % 3 == 2 ? lines.get(i % lines.size()) + "\n" + lines.get((i + 1) % lines.size()) : lines.get(i % lines.size()) + " #" + i;
        return new Record(key, text, new io.spikestream.operator.RecordSource("service-lines", partition, offset, key));
    }
}
