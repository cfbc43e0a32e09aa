package io.spikestream.engine.safetensors;

/** A checkpoint that cannot be used: missing, truncated or corrupt files, missing or mis-shaped tensors. */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
