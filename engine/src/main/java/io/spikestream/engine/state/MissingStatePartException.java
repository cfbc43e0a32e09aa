package io.spikestream.engine.state;

/**
 * A part that a stored state's header says was written is absent: lost, or expired on its own where a store
 * expires entries one by one (a state TTL).
 */
public final class MissingStatePartException extends StateFormatException {
    private static final long serialVersionUID = 1L;

    public MissingStatePartException(String message) {
        super(message);
    }
}
