package io.spikestream.connectors.consumer;

/** What one {@link EnrichmentConsumer#run()} did. */
public record ConsumeSummary(long printed, long skipped) {
    @Override
    public String toString() {
        return printed + " records printed, " + skipped + " undecodable skipped";
    }
}
