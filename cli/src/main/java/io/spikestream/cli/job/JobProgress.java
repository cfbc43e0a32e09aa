package io.spikestream.cli.job;

import java.util.Locale;

/**
 * What a job has done so far, from its metrics ({@link JobMetrics}): elements applied (CHUNK and RECORD
 * enrichments), tokens, alerts, rejected records (the operator's and the decoders'), open documents, the last
 * completed checkpoint, the consumer lag (-1: unknown) and the bytes of engine state written.
 */
public record JobProgress(long records, long tokens, long alerts, long rejected, long documentsOpen, long checkpoint, long checkpointMillis,
                          long lag, long stateBytesWritten) {

    static JobProgress of(JobMetrics.Totals t) {
        return new JobProgress(t.get("spikestream.recordsApplied") + t.get("spikestream.chunksApplied"), t.get("spikestream.tokens"),
                t.get("spikestream.alerts"), t.get("spikestream.recordsRejected") + t.get("rejectedRecords"),
                t.get("spikestream.documentsOpen"), t.max("lastCompletedCheckpointId"), t.max("lastCheckpointDuration"),
                t.max("pendingRecords") < 0 ? -1 : t.get("pendingRecords"), t.get("spikestream.stateBytesWritten"));
    }

    /**
     * The status line: {@code seconds} since the job started running, tokens/s over the last interval, when the
     * last checkpoint completed ({@code checkpointAgo} seconds ago, negative when unknown).
     */
    String line(double seconds, double tokensPerSecond, double checkpointAgo) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "spikestream job: %s | %,d records, %,d tokens, %,.0f tokens/s | %,d alerts, %,d rejected | %,d documents open",
                clock(seconds), records, tokens, tokensPerSecond, alerts, rejected, documentsOpen));
        if (checkpoint > 0) {
            sb.append(String.format(Locale.ROOT, " | checkpoint %d in %,d ms", checkpoint, checkpointMillis));
            if (checkpointAgo >= 0) {
                sb.append(String.format(Locale.ROOT, ", %.0f s ago", checkpointAgo));
            }
        } else {
            sb.append(" | no checkpoint yet");
        }
        sb.append(lag >= 0 ? String.format(Locale.ROOT, " | lag %,d records", lag) : " | lag unknown");
        return sb.toString();
    }

    /** The summary of a bounded job that ran {@code seconds} (from RUNNING to FINISHED): one JSON object. */
    String summary(double seconds) {
        return String.format(Locale.ROOT, "{\"records\": %d, \"tokens\": %d, \"tokens_per_second\": %.1f, \"alerts\": %d, \"rejected\": %d, \"seconds\": %.3f}",
                records, tokens, seconds > 0 ? tokens / seconds : 0.0, alerts, rejected, seconds);
    }

    private static String clock(double seconds) {
        long s = (long) seconds;
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
