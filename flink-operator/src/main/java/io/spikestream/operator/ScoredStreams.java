package io.spikestream.operator;

import io.spikestream.avro.Alert;
import io.spikestream.avro.Enrichment;
import io.spikestream.avro.Rejected;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * What {@link DocumentScoring#apply} returns: the enrichments (one per chunk or record, an END per ended document,
 * an ANSWER per query), and as side outputs the alerts (lines above the threshold) and the rejected input (with
 * the reason).
 *
 * <p>Stability: public, evolving.
 */
public final class ScoredStreams {
    private final SingleOutputStreamOperator<Enrichment> enrichments;

    ScoredStreams(SingleOutputStreamOperator<Enrichment> enrichments) {
        this.enrichments = enrichments;
    }

    /** The scoring operator's main output (set its parallelism or slot sharing here if you need to). */
    public SingleOutputStreamOperator<Enrichment> enrichments() {
        return enrichments;
    }

    public DataStream<Alert> alerts() {
        return enrichments.getSideOutput(DocumentProcessor.ALERTS);
    }

    public DataStream<Rejected> rejected() {
        return enrichments.getSideOutput(DocumentProcessor.REJECTED);
    }
}
