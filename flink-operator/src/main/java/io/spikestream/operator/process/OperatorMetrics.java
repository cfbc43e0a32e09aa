package io.spikestream.operator.process;

import io.spikestream.avro.SpikeStatistics;
import io.spikestream.operator.state.OpenDocuments;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;

/**
 * The operator's metrics, per subtask, in the group {@code spikestream}: what the job's progress line and summary
 * add up, and what a cluster's reporters (Prometheus, JMX) export.
 */
final class OperatorMetrics {
    /** Names other code reads (the job's progress): counters summed over subtasks. */
    static final String GROUP = "spikestream";

    final Counter tokens;
    final Counter chunks;
    final Counter buffered;
    final Counter duplicates;
    final Counter rejected;
    final Counter documentsRejected;
    final Counter ended;
    final Counter expired;
    final Counter queries;
    final Counter records;
    final Counter alerts;
    final Counter stateBytesWritten;
    final Counter spikeActivations;
    private volatile long lastStateBytes;
    private volatile long lastBytesWritten;
    private volatile double lastMeanSurprisal = Double.NaN;
    private volatile double lastSpikeZeroFraction = Double.NaN;
    private volatile double lastSpikeMeanBitwise = Double.NaN;
    private volatile long lastSpikeMaxAbs;
    private volatile double lastSilentChannelFraction = Double.NaN;
    private volatile double lastEnergyPicojoulesPerToken = Double.NaN;

    OperatorMetrics(MetricGroup group, OpenDocuments open) {
        MetricGroup g = group.addGroup(GROUP);
        g.gauge("documentsOpen", open::count);
        tokens = g.counter("tokens");
        g.meter("tokensPerSecond", new MeterView(tokens));
        chunks = g.counter("chunksApplied");
        buffered = g.counter("chunksBuffered");
        duplicates = g.counter("chunksDuplicate");
        rejected = g.counter("recordsRejected");
        documentsRejected = g.counter("documentsRejected");
        ended = g.counter("documentsEnded");
        expired = g.counter("documentsExpired");
        queries = g.counter("queriesAnswered");
        records = g.counter("recordsApplied");
        alerts = g.counter("alerts");
        stateBytesWritten = g.counter("stateBytesWritten");
        g.gauge("lastStateBytes", () -> lastStateBytes);
        g.gauge("lastChunkStateBytesWritten", () -> lastBytesWritten);
        g.gauge("lastChunkMeanSurprisal", () -> lastMeanSurprisal);
        spikeActivations = g.counter("spikeActivations");
        g.gauge("lastChunkSpikeZeroFraction", () -> lastSpikeZeroFraction);
        g.gauge("lastChunkSpikeMeanBitwise", () -> lastSpikeMeanBitwise);
        g.gauge("lastChunkSpikeMaxAbs", () -> lastSpikeMaxAbs);
        g.gauge("lastChunkSilentChannelFraction", () -> lastSilentChannelFraction);
        g.gauge("lastChunkEnergyPicojoulesPerToken", () -> lastEnergyPicojoulesPerToken);
    }

    /** A document's state was written: once per bundle. */
    void wrote(long written) {
        stateBytesWritten.inc(written);
        lastBytesWritten = written;
    }

    void spikes(SpikeStatistics s) {
        spikeActivations.inc(s.getActivations());
        lastSpikeZeroFraction = s.getZeroFraction();
        lastSpikeMeanBitwise = s.getMeanBitwise();
        lastSpikeMaxAbs = s.getMaxAbs();
        lastSilentChannelFraction = s.getSilentChannelFraction();
        lastEnergyPicojoulesPerToken = s.getEnergyPicojoulesPerToken();
    }

    void advanced(int n, long stateBytes, SurprisalSummary s) {
        tokens.inc(n);
        lastStateBytes = stateBytes;
        if (s.mean() != null) {
            lastMeanSurprisal = s.mean();
        }
    }
}
