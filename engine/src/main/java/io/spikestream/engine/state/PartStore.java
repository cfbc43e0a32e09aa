package io.spikestream.engine.state;

/**
 * Where the parts of one document's state ({@link StateParts}) are kept, each under its own key: Flink keyed
 * state, a process table function's map view. A get returns null for a part never written.
 */
public interface PartStore {
    byte[] header() throws Exception;

    byte[] gla(int layer) throws Exception;

    byte[] page(int layer, int page) throws Exception;

    void putHeader(byte[] bytes) throws Exception;

    void putGla(int layer, byte[] bytes) throws Exception;

    void putPage(int layer, int page, byte[] bytes) throws Exception;
}
