package io.spikestream.engine.tokenizer;

/**
 * Qwen2's pre-tokenizer, the regex
 * <pre>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</pre>
 * as a hand-written scanner over code points (same matches as the backtracking engine, without one).
 * {@code \s} is Unicode White_Space, as in Oniguruma, which the Hugging Face library uses.
 */
final class PreTokenizer {
    private PreTokenizer() {
    }

    /** End (exclusive) of the pre-token that starts at {@code i} in {@code s[.. end)}. */
    static int next(CharSequence s, int i, int end) {
        int c = Character.codePointAt(s, i);
        int n = Character.charCount(c);
        // 1. contractions
        if (c == '\'' && i + 1 < end) {
            int len = contraction(s, i + 1, end);
            if (len > 0) {
                return i + 1 + len;
            }
        }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        if (isLetter(c)) {
            return letters(s, i + n, end);
        }
        if (c != '\r' && c != '\n' && !isNumber(c) && i + n < end && isLetter(Character.codePointAt(s, i + n))) {
            return letters(s, i + n, end);
        }
        // 3. \p{N}
        if (isNumber(c)) {
            return i + n;
        }
        // 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
        int p = i;
        if (c == ' ' && i + 1 < end && isPunct(Character.codePointAt(s, i + 1))) {
            p = i + 1;
        }
        if (isPunct(Character.codePointAt(s, p))) {
            while (p < end) {
                int d = Character.codePointAt(s, p);
                if (!isPunct(d)) {
                    break;
                }
                p += Character.charCount(d);
            }
            while (p < end && (s.charAt(p) == '\r' || s.charAt(p) == '\n')) {
                p++;
            }
            return p;
        }
        // c is whitespace from here on
        int runEnd = i;
        int lastNewline = -1;
        while (runEnd < end) {
            int d = Character.codePointAt(s, runEnd);
            if (!isSpace(d)) {
                break;
            }
            if (d == '\r' || d == '\n') {
                lastNewline = runEnd;
            }
            runEnd += Character.charCount(d);
        }
        // 5. \s*[\r\n]+ : up to and including the run's last CR/LF
        if (lastNewline >= 0) {
            return lastNewline + 1;
        }
        // 6. \s+(?!\S) : the run, minus its last character when a non-space follows
        if (runEnd == end) {
            return runEnd;
        }
        int last = Character.offsetByCodePoints(s, runEnd, -1);
        if (last > i) {
            return last;
        }
        // 7. \s+
        return runEnd;
    }

    private static int letters(CharSequence s, int p, int end) {
        while (p < end) {
            int d = Character.codePointAt(s, p);
            if (!isLetter(d)) {
                break;
            }
            p += Character.charCount(d);
        }
        return p;
    }

    /** Length after the apostrophe of a case-insensitive contraction s, t, re, ve, m, ll, d; else 0. */
    private static int contraction(CharSequence s, int p, int end) {
        char a = fold(s.charAt(p));
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 1;
        }
        if (p + 1 < end) {
            char b = fold(s.charAt(p + 1));
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
                return 2;
            }
        }
        return 0;
    }

    /** Simple case folding for the contraction letters (U+017F long s folds to s; U+212A Kelvin is not used). */
    private static char fold(char c) {
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + 32);
        }
        return c == '\u017F' ? 's' : c;
    }

    static boolean isLetter(int c) {
        if (c < 0x80) {
            return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        }
        return Character.isLetter(c);
    }

    static boolean isNumber(int c) {
        if (c < 0x80) {
            return c >= '0' && c <= '9';
        }
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Unicode White_Space. */
    static boolean isSpace(int c) {
        if (c < 0x80) {
            return c == ' ' || (c >= '\t' && c <= '\r');
        }
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
                || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** [^\s\p{L}\p{N}] */
    private static boolean isPunct(int c) {
        return !isSpace(c) && !isLetter(c) && !isNumber(c);
    }
}
