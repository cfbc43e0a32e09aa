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
        String open = "";
        int openStart = held;
        for (int k = 0; k < pieces.size(); k++) {
            AddedVocabulary.Piece p = pieces.get(k);
            if (p.token() != null) {
                out.add(p.token().id(), p.start(), p.end());
            } else if (k < pieces.size() - 1) {
                tokenizer.encodePlain(Tokenizer.normalize(text.substring(p.start(), p.end())), p.start(), p.end() - p.start(), out);
            } else {
                open = encodeOpen(text, p, out);
                openStart = p.end() - Math.min(open.length(), p.end() - p.start());
            }
        }
        tail = open + text.substring(held);
        if (tail.length() > maxTail) {
            forcedFlushes++;
            Tokenizer.Output rest = new Tokenizer.Output(true);
            tokenizer.encodeRange(tail, 0, tail.length(), mode, rest);
            Encoding r = rest.encoding();
            for (int i = 0; i < r.size(); i++) {
                out.add(r.ids()[i], openStart + r.start()[i], openStart + r.end()[i]);
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
     * Encodes the final-for-now part of the last plain piece and returns the rest, normalized (NFC of it plus
     * later text is NFC of the whole, so the rest need not be the raw text it came from).
     */
    private String encodeOpen(String text, AddedVocabulary.Piece p, Tokenizer.Output out) {
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
            return normalized;
        }
        int limit = Math.min(starts[count - 1], trailingWhitespaceStart(normalized));
        limit = Math.min(limit, lastStableStarter(normalized));
        int cutIndex = 0;
        while (cutIndex + 1 < count && starts[cutIndex + 1] <= limit) {
            cutIndex++;
        }
        // pre-token boundaries come from the whole piece: a scan of the cut prefix alone would lack the
        // one character of lookahead that \s+(?!\S) needs
        for (int k = 0; k < cutIndex; k++) {
            tokenizer.encodePreToken(normalized, starts[k], starts[k + 1], p.start(), p.end() - p.start(), out);
        }
        return normalized.substring(starts[cutIndex]);
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
