package io.spikestream.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The Qwen2 byte-level BPE tokenizer (SpikingBrain-7B's), reproducing the Hugging Face tokenizers library:
 * added tokens are split off the raw text, the rest is NFC-normalized, cut by Qwen2's pre-tokenizer
 * ({@link PreTokenizer}), mapped to bytes and merged by BPE rank ({@link Bpe}).
 *
 * <p>Not thread-safe (the BPE cache): give each thread its own instance, or synchronize.
 */
public final class Tokenizer {
    private final Map<String, Integer> vocab;
    private final byte[][] tokenBytes;
    private final boolean[] special;
    private final int vocabSize;
    private final Bpe bpe;
    private final AddedVocabulary added;
    private byte[] scratch = new byte[256];

    private Tokenizer(TokenizerFiles.Contents contents, String source) {
        this.vocab = new HashMap<>(contents.vocab());
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        for (AddedToken t : contents.added()) {
            maxId = Math.max(maxId, t.id());
        }
        this.vocabSize = maxId + 1;
        this.tokenBytes = new byte[vocabSize][];
        this.special = new boolean[vocabSize];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            byte[] b = ByteLevel.toBytes(e.getKey());
            if (tokenBytes[e.getValue()] != null) {
                throw new TokenizerException(source + ": id " + e.getValue() + " is used by two tokens");
            }
            // entries that are not byte-level strings can only be produced as added tokens
            tokenBytes[e.getValue()] = b != null ? b : e.getKey().getBytes(StandardCharsets.UTF_8);
        }
        for (AddedToken t : contents.added()) {
            Integer existing = vocab.get(t.content());
            if (existing != null && existing != t.id()) {
                throw new TokenizerException(source + ": added token \"" + t.content() + "\" has id " + t.id()
                        + " but the vocabulary gives it " + existing);
            }
            tokenBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
            special[t.id()] = t.special();
        }
        int[] byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
            if (id == null) {
                throw new TokenizerException(source + ": the vocabulary lacks the byte-level token for byte 0x"
                        + Integer.toHexString(b) + " (\"" + ByteLevel.BYTE_TO_CHAR[b] + "\")");
            }
            byteIds[b] = id;
        }
        MergeTable merges = new MergeTable(contents.merges().size());
        int rank = 0;
        for (String[] m : contents.merges()) {
            Integer left = vocab.get(m[0]);
            Integer right = vocab.get(m[1]);
            Integer merged = vocab.get(m[0] + m[1]);
            if (left == null || right == null || merged == null) {
                String missing = left == null ? m[0] : right == null ? m[1] : m[0] + m[1];
                throw new TokenizerException(source + ": merge " + (rank + 1) + " \"" + m[0] + " " + m[1]
                        + "\" refers to \"" + missing + "\", which is not in the vocabulary");
            }
            merges.put(left, right, rank++, merged);
        }
        this.bpe = new Bpe(byteIds, merges);
        this.added = new AddedVocabulary(contents.added());
    }

    /** Whether a directory holds tokenizer files this class reads. */
    public static boolean isPresent(Path dir) {
        return TokenizerFiles.isPresent(dir);
    }

    /** The files a model directory's tokenizer (and its generation settings) may consist of. */
    public static final java.util.List<String> FILES = java.util.List.of(TokenizerFiles.VOCAB, TokenizerFiles.MERGES,
            TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.CONFIG, TokenizerFiles.ADDED, "special_tokens_map.json",
            "generation_config.json");

    /** Copies whichever of {@link #FILES} exist in {@code from} into {@code to} (a model directory written from another). */
    public static void copyFiles(Path from, Path to) throws java.io.IOException {
        if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) {
            return;
        }
        for (String f : FILES) {
            if (java.nio.file.Files.exists(from.resolve(f))) {
                java.nio.file.Files.copy(from.resolve(f), to.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    public static Tokenizer load(Path dir) {
        return new Tokenizer(TokenizerFiles.read(dir), dir.toString());
    }

    /** One more than the largest id (added tokens included). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a vocabulary entry or added token, by its text. */
    public OptionalInt tokenId(String token) {
        Integer id = vocab.get(token);
        if (id != null) {
            return OptionalInt.of(id);
        }
        for (AddedToken t : added.tokens()) {
            if (t.content().equals(token)) {
                return OptionalInt.of(t.id());
            }
        }
        return OptionalInt.empty();
    }

    public List<AddedToken> addedTokens() {
        return added.tokens();
    }

    public boolean isSpecial(int id) {
        return id >= 0 && id < vocabSize && special[id];
    }

    public int[] encode(String text, TokenizerMode mode) {
        Output out = new Output(false);
        encodeRange(text, 0, text.length(), mode, out);
        return out.ids();
    }

    public Encoding encodeWithOffsets(String text, TokenizerMode mode) {
        Output out = new Output(true);
        encodeRange(text, 0, text.length(), mode, out);
        return out.encoding();
    }

    /** A streaming encoder that continues after {@code tail} (an earlier encoder's {@link StreamingEncoder#tail()}). */
    public StreamingEncoder streaming(TokenizerMode mode, String tail) {
        return new StreamingEncoder(this, mode, tail);
    }

    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Text of the ids; invalid UTF-8 becomes U+FFFD. */
    public String decode(int[] ids, boolean skipSpecial) {
        IncrementalDecoder d = decoder(skipSpecial);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.push(id));
        }
        return sb.append(d.finish()).toString();
    }

    public IncrementalDecoder decoder(boolean skipSpecial) {
        return new IncrementalDecoder(this, skipSpecial);
    }

    /** The bytes a token stands for. */
    byte[] bytes(int id) {
        if (id < 0 || id >= vocabSize || tokenBytes[id] == null) {
            throw new TokenizerException("token id " + id + " is not in the vocabulary (0.." + (vocabSize - 1) + ")");
        }
        return tokenBytes[id];
    }

    // ------------------------------------------------------------------ encoding

    /** Encodes raw {@code text[from, to)} (added tokens, then normalized plain pieces). */
    void encodeRange(String text, int from, int to, TokenizerMode mode, Output out) {
        for (AddedVocabulary.Piece p : added.split(text, from, to, mode)) {
            if (p.token() != null) {
                out.add(p.token().id(), p.start(), p.end());
            } else {
                encodePlain(normalize(text.substring(p.start(), p.end())), p.start(), p.end() - p.start(), out);
            }
        }
    }

    /** Pieces of raw text for the streaming encoder. */
    List<AddedVocabulary.Piece> split(String text, int from, int to, TokenizerMode mode) {
        return added.split(text, from, to, mode);
    }

    int holdBack(String text, int from, int to, TokenizerMode mode) {
        return added.holdBack(text, from, to, mode);
    }

    /**
     * The pieces BPE merges never cross: NFC of {@code text} cut by Qwen2's pre-tokenizer pattern (no added
     * tokens recognized). Tokenizer training counts these.
     */
    public static List<String> preTokenize(String text) {
        String normalized = normalize(text);
        List<String> pieces = new java.util.ArrayList<>();
        for (int i = 0, n = normalized.length(); i < n; ) {
            int end = PreTokenizer.next(normalized, i, n);
            pieces.add(normalized.substring(i, end));
            i = end;
        }
        return pieces;
    }

    /** NFC; text without characters from U+0300 on is already normalized. */
    static String normalize(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x300) {
                return Normalizer.normalize(s, Normalizer.Form.NFC);
            }
        }
        return s;
    }

    /**
     * Pre-tokenizes and BPE-encodes normalized text; offsets are reported at {@code base} plus the offset in
     * the normalized text, clamped to the raw piece's length (they differ only where NFC changed the text).
     */
    void encodePlain(String normalized, int base, int rawLength, Output out) {
        int i = 0;
        int n = normalized.length();
        while (i < n) {
            int end = PreTokenizer.next(normalized, i, n);
            encodePreToken(normalized, i, end, base, rawLength, out);
            i = end;
        }
    }

    void encodePreToken(String s, int start, int end, int base, int rawLength, Output out) {
        int len = utf8(s, start, end);
        int[] ids = bpe.encode(s.substring(start, end), scratch, 0, len);
        if (!out.offsets) {
            out.addAll(ids);
            return;
        }
        // map each token's byte range back to characters of s: c is the character whose bytes end at cEnd
        int c = start;
        int cEnd = charBytes(s, c);
        int bytePos = 0;
        for (int id : ids) {
            int first = bytePos;
            bytePos += tokenBytes[id].length;
            while (cEnd <= first) {
                c += Character.charCount(s.codePointAt(c));
                cEnd += charBytes(s, c);
            }
            int tokenStart = c;
            while (cEnd <= bytePos - 1) {
                c += Character.charCount(s.codePointAt(c));
                cEnd += charBytes(s, c);
            }
            int tokenEnd = c + Character.charCount(s.codePointAt(c));
            out.add(id, base + Math.min(tokenStart, rawLength), base + Math.min(tokenEnd, rawLength));
        }
    }

    private static int charBytes(String s, int i) {
        int c = s.codePointAt(i);
        return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }

    /** UTF-8 of s[start, end) into the scratch buffer; returns its length. */
    private int utf8(String s, int start, int end) {
        if (scratch.length < 4 * (end - start)) {
            scratch = new byte[4 * (end - start)];
        }
        int k = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                scratch[k++] = (byte) c;
            } else if (c < 0x800) {
                scratch[k++] = (byte) (0xC0 | (c >> 6));
                scratch[k++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                scratch[k++] = (byte) (0xF0 | (cp >> 18));
                scratch[k++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                scratch[k++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                scratch[k++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                scratch[k++] = (byte) 0xEF; // a lone surrogate encodes as U+FFFD, as Rust strings would hold it
                scratch[k++] = (byte) 0xBF;
                scratch[k++] = (byte) 0xBD;
            } else {
                scratch[k++] = (byte) (0xE0 | (c >> 12));
                scratch[k++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                scratch[k++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return k;
    }

    /** Growing output of ids (and offsets when asked). */
    static final class Output {
        final boolean offsets;
        private int[] ids = new int[64];
        private int[] starts;
        private int[] ends;
        private int size;

        Output(boolean offsets) {
            this.offsets = offsets;
            if (offsets) {
                starts = new int[64];
                ends = new int[64];
            }
        }

        void add(int id, int start, int end) {
            grow(size + 1);
            ids[size] = id;
            if (offsets) {
                starts[size] = start;
                ends[size] = end;
            }
            size++;
        }

        void addAll(int[] more) {
            grow(size + more.length);
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        private void grow(int needed) {
            if (needed > ids.length) {
                int cap = Math.max(needed, ids.length * 2);
                ids = Arrays.copyOf(ids, cap);
                if (offsets) {
                    starts = Arrays.copyOf(starts, cap);
                    ends = Arrays.copyOf(ends, cap);
                }
            }
        }

        int size() {
            return size;
        }

        int[] ids() {
            return Arrays.copyOf(ids, size);
        }

        Encoding encoding() {
            return new Encoding(ids(), Arrays.copyOf(starts, size), Arrays.copyOf(ends, size));
        }
    }
}
