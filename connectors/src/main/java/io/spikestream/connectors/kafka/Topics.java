package io.spikestream.connectors.kafka;

import java.util.List;

/** The topic names the SpikeStream job uses unless told otherwise. */
public final class Topics {
    private Topics() {
    }

    /** {@code DocumentChunk}s, keyed by docId. */
    public static final String DOCUMENTS = "documents";
    /** {@code DocumentQuery}s, keyed by docId. */
    public static final String QUERIES = "queries";
    /** {@code Enrichment}s written by the job, exactly once, keyed by docId. */
    public static final String ENRICHMENTS = "enrichments";
    /** {@code Rejected} input records, keyed by docId when known. */
    public static final String REJECTED = "rejected";
    /** {@code Alert}s written by the job, exactly once, keyed by docId: lines above the alert threshold. */
    public static final String ALERTS = "alerts";

    public static final List<String> ALL = List.of(DOCUMENTS, QUERIES, ENRICHMENTS, REJECTED, ALERTS);
}
