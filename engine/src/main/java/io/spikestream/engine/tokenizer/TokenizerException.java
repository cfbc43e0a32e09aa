package io.spikestream.engine.tokenizer;

/** Tokenizer files that cannot be used, or ids that cannot be decoded. */
public final class TokenizerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
