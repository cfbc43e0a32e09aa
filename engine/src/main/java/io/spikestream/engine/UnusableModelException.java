package io.spikestream.engine;

/** A model directory a job cannot use, and why (the message names the file or the tensor). */
public final class UnusableModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnusableModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
