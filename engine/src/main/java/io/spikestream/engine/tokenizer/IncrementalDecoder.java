package io.spikestream.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ids one at a time and returns only complete characters: a character whose UTF-8 bytes are split
 * over several byte-level tokens is returned when its last byte arrives. Invalid bytes become U+FFFD.
 */
public final class IncrementalDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);

    IncrementalDecoder(Tokenizer tokenizer, boolean skipSpecial) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
    }

    /** Adds one id; returns the characters it completes (possibly none). */
    public String push(int id) {
        byte[] b = tokenizer.bytes(id);
        if (skipSpecial && tokenizer.isSpecial(id)) {
            return "";
        }
        if (pending.remaining() < b.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + b.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(b);
        return drain(false);
    }

    /** Whatever is left, with an unfinished character replaced by U+FFFD. */
    public String finish() {
        return drain(true);
    }

    private String drain(boolean end) {
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        CoderResult r = utf8.decode(pending, out, end);
        if (r.isError()) {
            throw new IllegalStateException("UTF-8 decoding failed: " + r);
        }
        if (end) {
            utf8.flush(out);
            utf8.reset();
        }
        pending.compact();
        out.flip();
        return out.toString();
    }
}
