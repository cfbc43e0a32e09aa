package io.spikestream.connectors.producer;

/** What {@link ChunkProducer} published for one document. */
public record ProducedDocument(String docId, long chunks, long bytes) {
    @Override
    public String toString() {
        return docId + ": " + chunks + (chunks == 1 ? " chunk, " : " chunks, ") + bytes + " bytes";
    }
}
