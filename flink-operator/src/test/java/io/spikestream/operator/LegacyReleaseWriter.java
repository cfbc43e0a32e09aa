package io.spikestream.operator;

import io.spikestream.connectors.avro.AvroJson;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.util.List;

/**
 * Writes the committed fixtures of {@link LegacyRelease} with the operator of the release being frozen. Run once,
 * by hand, on that release: {@code mvn -pl flink-operator test -Dtest=LegacyReleaseWriter -Dspikestream.writeLegacy=true}.
 */
@EnabledIfSystemProperty(named = "spikestream.writeLegacy", matches = "true")
class LegacyReleaseWriter {
    @Test
    void writeTheSnapshotsAndWhatFollowedThem() throws Exception {
        write(LegacyRelease.CHUNKS, LegacyRelease.chunkOptions(), LegacyRelease.chunksBefore(), LegacyRelease.chunksAfter());
        write(LegacyRelease.RECORDS, LegacyRelease.recordOptions(), LegacyRelease.recordsBefore(), LegacyRelease.recordsAfter());
    }

    private static void write(String name, OperatorOptions options, List<LegacyRelease.Step> before, List<LegacyRelease.Step> after)
            throws Exception {
        OperatorSubtaskState snapshot;
        try (OperatorHarness h = new OperatorHarness(options, null)) {
            StateMigrationTest.play(h, before);
            snapshot = h.snapshot(1);
            OperatorSnapshotUtil.writeStateHandle(snapshot, LegacyRelease.resource(name + ".snapshot").toString());
        }
        // what this release emits when it restores its own snapshot and goes on
        try (OperatorHarness h = new OperatorHarness(options, snapshot)) {
            StateMigrationTest.play(h, after);
            Files.write(LegacyRelease.resource(name + ".expected.jsonl"), h.emitted().stream().map(AvroJson::toJson).toList());
        }
    }
}
