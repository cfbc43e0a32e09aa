package io.spikestream.engine.tokenizer;

import java.util.List;

/**
 * Encodes a text that arrives in chunks exactly as if it had arrived whole: each {@link #push} emits the
 * tokens that no later text can change and keeps the rest as a tail, carried to the next chunk (and stored
 * in the document state between chunks).
 *
 * <p>Held back: the last pre-token (it may grow); a trailing whitespace run from the pre-token where it
 * begins (a later newline changes how Qwen2 splits it); text after the last character that cannot combine
 * with what follows under NFC (a combining mark may arrive next); and a suffix that could begin an added
 * token. A tail longer than {@code maxTail} characters (a single "word" of that length) is encoded anyway:
 * the one case where streaming can differ from one pass; {@link #forcedFlushes()} counts it.
 */
public final class StreamingEncoder {
    public static final int DEFAULT_MAX_TAIL = 64 * 1024;

    private final Tokenizer tokenizer;
    private final TokenizerMode mode;
    private final int maxTail;
    private String tail;
    private long forcedFlushes;

    StreamingEncoder(Tokenizer tokenizer, TokenizerMode mode, String tail) {
        this(tokenizer, mode, tail, DEFAULT_MAX_TAIL);
    }

    StreamingEncoder(Tokenizer tokenizer, TokenizerMode mode, String tail, int maxTail) {
        this.tokenizer = tokenizer;
        this.mode = mode;
        this.tail = tail == null ? "" : tail;
        this.maxTail = maxTail;
    }

    /** A copy of this encoder with another tail bound (tests). */
    public StreamingEncoder withMaxTail(int max) {
        return new StreamingEncoder(tokenizer, mode, tail, max);
    }

    /**
     * Encodes what {@code chunk} completes. Offsets are relative to {@code tail() + chunk} as they stood
     * before the call (a token may start in the carried tail, at an offset below the tail's length).
     */
    public Encoding push(String chunk) {
        String text = tail + chunk;
        Tokenizer.Output out = new Tokenizer.Output(true);
        int held = tokenizer.holdBack(text, 0, text.length(), mode);
        List<AddedVocabulary.Piece> pieces = tokenizer.split(text, 0, held, mode);
        int consumed = 0;
        for (int k = 0; k < pieces.size(); k++) {
            AddedVocabulary.Piece p = pieces.get(k);
            if (p.token() != null) {
                out.add(p.token().id(), p.start(), p.end());
                consumed = p.end();
            } else if (k < pieces.size() - 1) {
                tokenizer.encodePlain(Tokenizer.normalize(text.substring(p.start(), p.end())), p.start(), p.end() - p.start(), out);
                consumed = p.end();
            } else {
                consumed = encodeOpen(text, p, out);
            }
        }
        tail = text.substring(consumed);
        if (tail.length() > maxTail) {
            forcedFlushes++;
            Tokenizer.Output rest = new Tokenizer.Output(true);
            tokenizer.encodeRange(text, consumed, text.length(), mode, rest);
            Encoding r = rest.encoding();
            for (int i = 0; i < r.size(); i++) {
                out.add(r.ids()[i], r.start()[i], r.end()[i]);
            }
            tail = "";
        }
        return out.encoding();
    }

    /** Everything held back, as the end of the text. Offsets are relative to the tail. */
    public Encoding finish() {
        Tokenizer.Output out = new Tokenizer.Output(true);
        tokenizer.encodeRange(tail, 0, tail.length(), mode, out);
        tail = "";
        return out.encoding();
    }

    /** Text not yet encoded. */
    public String tail() {
        return tail;
    }

    public long forcedFlushes() {
        return forcedFlushes;
    }

    /**
     * Encodes the final-for-now part of the last plain piece; returns the raw offset up to which the text
     * is consumed. What is held back is kept in normalized form (NFC of it plus later text is NFC of all).
     */
    private int encodeOpen(String text, AddedVocabulary.Piece p, Tokenizer.Output out) {
        String normalized = Tokenizer.normalize(text.substring(p.start(), p.end()));
        int n = normalized.length();
        int[] starts = new int[Math.max(4, n / 2)];
        int count = 0;
        for (int i = 0; i < n; i = PreTokenizer.next(normalized, i, n)) {
            if (count == starts.length) {
                starts = java.util.Arrays.copyOf(starts, count * 2);
            }
            starts[count++] = i;
        }
        if (count == 0) {
            return p.start();
        }
        int limit = starts[count - 1];
        int space = trailingWhitespaceStart(normalized);
        if (space < n) {
            limit = Math.min(limit, space);
        }
        limit = Math.min(limit, lastStableStarter(normalized));
        int cut = 0;
        for (int k = 0; k < count && starts[k] <= limit; k++) {
            cut = starts[k];
        }
        if (cut == 0) {
            return p.start();
        }
        String done = normalized.substring(0, cut);
        tokenizer.encodePlain(done, p.start(), p.end() - p.start(), out);
        // the rest of the piece stays, normalized; it is re-read with the next chunk
        String rest = normalized.substring(cut);
        return p.end() - rest.length() >= p.start() && text.startsWith(rest, p.end() - rest.length())
                ? p.end() - rest.length() : rawOffsetOf(text, p, done);
    }

    /** Raw offset in text where the part after {@code done} begins, when NFC changed the piece's length. */
    private static int rawOffsetOf(String text, AddedVocabulary.Piece p, String done) {
        for (int r = p.start(); r <= p.end(); r++) {
            if (Tokenizer.normalize(text.substring(p.start(), r)).equals(done)) {
                return r;
            }
        }
        return p.start(); // no raw boundary matches: hold the whole piece back
    }

    private static int trailingWhitespaceStart(String s) {
        int i = s.length();
        while (i > 0) {
            int c = s.codePointBefore(i);
            if (!PreTokenizer.isSpace(c)) {
                break;
            }
            i -= Character.charCount(c);
        }
        return i;
    }

    /** Index of the last character that nothing appended can combine with under NFC (0 if none). */
    private static int lastStableStarter(String s) {
        int i = s.length();
        while (i > 0) {
            int c = s.codePointBefore(i);
            i -= Character.charCount(c);
            if (!combinesBackward(c)) {
                return i;
            }
        }
        return 0;
    }

    private static boolean combinesBackward(int c) {
        if (c < 0x300) {
            return false;
        }
        int t = Character.getType(c);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK
                || (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2);
    }
}
