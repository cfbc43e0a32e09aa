package io.spikestream.operator;

import io.spikestream.engine.model.Model;

import java.io.Serializable;

/**
 * {@code --max-document-tokens}: how many tokens a document may have before it is rejected with the reason.
 * A model whose state is constant (gla_swa) needs no limit; one with full-attention layers keeps every
 * position's keys and values, so its state grows with the document, and {@link #AUTO} limits it to the tokens
 * whose full-attention keys and values fill {@link #AUTO_STATE_BYTES} (65,536 tokens for the 76B shape).
 *
 * @param tokens the limit; {@code 0} for {@link #AUTO}, {@code -1} for {@link #OFF}
 */
public record DocumentTokenLimit(long tokens) implements Serializable {
    /** Off for constant-state models; for growing states, the tokens that fill {@link #AUTO_STATE_BYTES}. */
    public static final DocumentTokenLimit AUTO = new DocumentTokenLimit(0);
    public static final DocumentTokenLimit OFF = new DocumentTokenLimit(-1);
    /** The growing part of one document's state that {@link #AUTO} allows: 1 GiB. */
    public static final long AUTO_STATE_BYTES = 1L << 30;

    public DocumentTokenLimit {
        if (tokens < -1) {
            throw new IllegalArgumentException("max-document-tokens must be a positive number, auto or off, got " + tokens);
        }
    }

    /** "auto", "off" or a positive number of tokens. */
    public static DocumentTokenLimit parse(String s) {
        String v = s.strip();
        if (v.equalsIgnoreCase("auto")) {
            return AUTO;
        }
        if (v.equalsIgnoreCase("off")) {
            return OFF;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-document-tokens must be a positive number, auto or off, got '" + s + "'");
        }
        if (n < 1) {
            throw new IllegalArgumentException("--max-document-tokens must be a positive number, auto or off, got '" + s + "'");
        }
        return new DocumentTokenLimit(n);
    }

    /** The limit for {@code model}: Long.MAX_VALUE when there is none. */
    public long resolve(Model model) {
        if (tokens > 0) {
            return tokens;
        }
        long growing = model.growingStateBytesPerToken();
        return tokens < 0 || growing == 0 ? Long.MAX_VALUE : Math.max(1, AUTO_STATE_BYTES / growing);
    }

    @Override
    public String toString() {
        return tokens == 0 ? "auto" : tokens < 0 ? "off" : Long.toString(tokens);
    }
}
