package io.spikestream.engine.state;

/** Serialized state bytes that cannot be restored: corrupt, truncated, another version or another model. */
public class StateFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateFormatException(String message) {
        super(message);
    }

    public StateFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
