package io.spikestream.operator;

import io.spikestream.records.AvroJson;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import io.spikestream.operator.input.Record;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrades: the snapshots the operator of release 0.1 took ({@link LegacyRelease}, committed bytes) restore into
 * this operator, which then emits exactly what release 0.1 emitted after them — enrichments, answers, rejections
 * and alerts, in order, field for field (wall-clock fields aside) — but for {@code stateBytesWritten}: chunks that
 * waited for an earlier one are now stored together with it, in one write, so the bytes written add up to less. The
 * restored operator alerts line by line ({@link Incidents#PER_LINE}), as 0.1 did; its alerts' fields added since are null.
 */
class StateMigrationTest {

    @Test
    void aSnapshotOfRelease01InChunkModeRestoresAndContinuesIdentically() throws Exception {
        assertContinuesAsRelease01(LegacyRelease.CHUNKS, LegacyRelease.chunksAfter());
    }

    @Test
    void aSnapshotOfRelease01InRecordModeRestoresAndContinuesIdentically() throws Exception {
        assertContinuesAsRelease01(LegacyRelease.RECORDS, LegacyRelease.recordsAfter());
    }

    private static void assertContinuesAsRelease01(String name, List<LegacyRelease.Step> after) throws Exception {
        OperatorSubtaskState snapshot = OperatorSnapshotUtil.readStateHandle(LegacyRelease.resource(name + ".snapshot").toString());
        List<String> expected = Files.readAllLines(LegacyRelease.resource(name + ".expected.jsonl"));
        assertThat(expected).as("the fixture holds output of every kind").isNotEmpty();
        try (OperatorHarness h = LegacyRelease.harness(name, snapshot)) {
            play(h, after);
            List<String> actual = h.emitted().stream().map(AvroJson::toJson).toList();
            assertThat(actual.stream().map(StateMigrationTest::withoutWrites).toList())
                    .containsExactlyElementsOf(expected.stream().map(StateMigrationTest::withoutWrites).toList());
            assertThat(written(actual)).as("bytes written").isPositive().isLessThanOrEqualTo(written(expected));
        }
    }

    private static final java.util.regex.Pattern WRITTEN = java.util.regex.Pattern.compile("\"stateBytesWritten\":(\\d+)");

    /**
     * Fields added after release 0.1, null where 0.1 had nothing to say: an incident's range (an alert per line),
     * an enrichment's paragraphs (line mode), an alert's segment kind (a line).
     */
    private static final java.util.regex.Pattern ADDED_SINCE = java.util.regex.Pattern.compile(
            ",\"(lineEnd|alertingLines|topLine|topScore|topText|segment|segments)\":null");
    /** An alert's mean surprisal (0.3): with a threshold in nats, its score is that mean, as 0.1 sent it. */
    private static final java.util.regex.Pattern ALERT_MEAN = java.util.regex.Pattern.compile(
            "^(\\{\"docId\":.*\"score\":([-0-9.E]+),.*),\"meanSurprisal\":([-0-9.E]+)}$");

    static String withoutWrites(String json) {
        String s = ADDED_SINCE.matcher(WRITTEN.matcher(json).replaceAll("\"stateBytesWritten\":0")).replaceAll("");
        java.util.regex.Matcher m = ALERT_MEAN.matcher(s);
        if (m.matches()) {
            assertThat(m.group(3)).as("an alert at a threshold in nats scores its mean surprisal").isEqualTo(m.group(2));
            return m.group(1) + "}";
        }
        return s;
    }

    static long written(List<String> jsons) {
        long sum = 0;
        for (String j : jsons) {
            java.util.regex.Matcher m = WRITTEN.matcher(j);
            while (m.find()) {
                sum += Long.parseLong(m.group(1));
            }
        }
        return sum;
    }

    static void play(OperatorHarness h, List<LegacyRelease.Step> steps) throws Exception {
        for (LegacyRelease.Step s : steps) {
            if (s instanceof LegacyRelease.Element e && e.element() instanceof Record r) {
                h.record(r);
            } else if (s instanceof LegacyRelease.Element e) {
                h.chunk((io.spikestream.avro.DocumentChunk) e.element());
            } else if (s instanceof LegacyRelease.Ask a) {
                h.query(a.query());
            } else if (s instanceof LegacyRelease.Clock c) {
                h.time(c.ms());
            }
        }
    }
}
