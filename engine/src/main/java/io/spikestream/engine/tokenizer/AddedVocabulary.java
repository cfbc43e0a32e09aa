package io.spikestream.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Finds added tokens in raw text: at each position the longest token that matches, leftmost first (the
 * Hugging Face library's order). In {@link TokenizerMode#LITERAL} special tokens are not matched.
 */
final class AddedVocabulary {
    /** A piece of text: plain [start, end), or an added token occupying [start, end). */
    record Piece(int start, int end, AddedToken token) {
    }

    private final List<AddedToken> all;
    private final int maxLength;
    private final java.util.BitSet firstChars = new java.util.BitSet();

    AddedVocabulary(List<AddedToken> tokens) {
        List<AddedToken> sorted = new ArrayList<>(tokens);
        sorted.sort(Comparator.comparingInt((AddedToken t) -> -t.content().length()).thenComparingInt(AddedToken::id));
        this.all = List.copyOf(sorted);
        this.maxLength = sorted.stream().mapToInt(t -> t.content().length()).max().orElse(0);
        sorted.forEach(t -> firstChars.set(t.content().charAt(0)));
    }

    List<AddedToken> tokens() {
        return all;
    }

    /** Splits {@code text[from, to)} into plain pieces and added tokens. */
    List<Piece> split(String text, int from, int to, TokenizerMode mode) {
        List<Piece> out = new ArrayList<>();
        int plainStart = from;
        int i = from;
        while (i < to) {
            AddedToken t = matchAt(text, i, to, mode);
            if (t == null) {
                i++;
                continue;
            }
            int start = i;
            int end = i + t.content().length();
            if (t.singleWord() && (isWordChar(text, start - 1, from, to) || isWordChar(text, end, from, to))) {
                i++;
                continue;
            }
            if (t.lstrip()) {
                while (start > plainStart && Character.isWhitespace(text.charAt(start - 1))) {
                    start--;
                }
            }
            if (t.rstrip()) {
                while (end < to && Character.isWhitespace(text.charAt(end))) {
                    end++;
                }
            }
            if (start > plainStart) {
                out.add(new Piece(plainStart, start, null));
            }
            out.add(new Piece(start, end, t));
            plainStart = end;
            i = end;
        }
        if (plainStart < to) {
            out.add(new Piece(plainStart, to, null));
        }
        return out;
    }

    /**
     * The earliest position p ≥ to − (longest token − 1) such that text[p, to) could begin an added token
     * once more text arrives (a proper prefix of one, or a whole one a longer token extends); {@code to} if none.
     */
    int holdBack(String text, int from, int to, TokenizerMode mode) {
        for (int p = Math.max(from, to - maxLength + 1); p < to; p++) {
            int n = to - p;
            for (AddedToken t : all) {
                if (counts(t, mode) && t.content().length() > n && text.regionMatches(p, t.content(), 0, n)) {
                    return p;
                }
            }
        }
        return to;
    }

    private AddedToken matchAt(String text, int i, int to, TokenizerMode mode) {
        if (!firstChars.get(text.charAt(i))) {
            return null;
        }
        for (AddedToken t : all) {
            String c = t.content();
            if (counts(t, mode) && c.length() <= to - i && text.charAt(i) == c.charAt(0) && text.startsWith(c, i)) {
                return t;
            }
        }
        return null;
    }

    private static boolean counts(AddedToken t, TokenizerMode mode) {
        return mode == TokenizerMode.TEMPLATE || !t.special();
    }

    private static boolean isWordChar(String text, int i, int from, int to) {
        return i >= from && i < to && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_');
    }
}
