package io.spikestream.trainer.tokenizer;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.tokenizer.ByteLevel;
import io.spikestream.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns a byte-level BPE the engine's Qwen2-style tokenizer reads unchanged: the 256 byte tokens, then
 * merges learned from a corpus's pre-tokens (NFC, Qwen2 pattern, as {@link Tokenizer#preTokenize}), then the
 * special tokens. Deterministic: the most frequent pair wins, ties go to the pair whose merged bytes sort first.
 *
 * <p>Pair counts are kept incrementally (a lazy max-heap over counts and, per pair, the words it occurs in), so
 * a merge costs the occurrences it changes, not a rescan of the corpus.
 */
public final class BpeTrainer {
    /** Special tokens appended after the learned vocabulary (document end, chat turns). */
    public static final List<String> DEFAULT_SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

    private final Map<String, Long> wordCounts = new HashMap<>();

    /** Counts the pre-tokens of a piece of the corpus (call once per document or line batch). */
    public BpeTrainer add(String text) {
        for (String piece : Tokenizer.preTokenize(text)) {
            wordCounts.merge(piece, 1L, Long::sum);
        }
        return this;
    }

    /** The learned tokenizer with {@code vocabSize} tokens in all (256 bytes + merges + special tokens). */
    public TrainedTokenizer train(int vocabSize, List<String> specials) {
        int merges = vocabSize - 256 - specials.size();
        if (merges < 0) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below the 256 byte tokens + "
                    + specials.size() + " special tokens");
        }
        List<String> words = new ArrayList<>(wordCounts.keySet());
        words.sort(null); // a fixed order: results do not depend on hash iteration
        int[][] symbols = new int[words.size()][];
        long[] counts = new long[words.size()];
        List<byte[]> tokenBytes = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokenBytes.add(new byte[] {(byte) b});
        }
        for (int w = 0; w < words.size(); w++) {
            byte[] bytes = words.get(w).getBytes(StandardCharsets.UTF_8);
            symbols[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[w][i] = bytes[i] & 0xff;
            }
            counts[w] = wordCounts.get(words.get(w));
        }
        Pairs pairs = new Pairs(tokenBytes);
        for (int w = 0; w < symbols.length; w++) {
            for (int i = 0; i + 1 < symbols[w].length; i++) {
                pairs.add(symbols[w][i], symbols[w][i + 1], counts[w], w);
            }
        }
        List<int[]> learned = new ArrayList<>();
        while (learned.size() < merges) {
            long best = pairs.popBest();
            if (best < 0) {
                break; // every word is a single token: nothing left to merge
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            int merged = tokenBytes.size();
            tokenBytes.add(concat(tokenBytes.get(left), tokenBytes.get(right)));
            learned.add(new int[] {left, right});
            for (int w : pairs.wordsOf(best)) {
                symbols[w] = apply(symbols[w], left, right, merged, counts[w], w, pairs);
            }
            pairs.forget(best);
        }
        return new TrainedTokenizer(tokenBytes, learned, specials);
    }

    /** Replaces every (left, right) in a word by {@code merged}, moving the word's pair counts along. */
    private static int[] apply(int[] s, int left, int right, int merged, long count, int w, Pairs pairs) {
        int[] out = new int[s.length];
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == left && s[i + 1] == right) {
                if (n > 0) {
                    pairs.add(out[n - 1], left, -count, w);
                    pairs.add(out[n - 1], merged, count, w);
                }
                if (i + 2 < s.length) {
                    pairs.add(right, s[i + 2], -count, w);
                    pairs.add(merged, s[i + 2], count, w);
                }
                out[n++] = merged;
                i++;
            } else {
                out[n++] = s[i];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Pair counts, the words each pair occurs in, and a lazy max-heap to find the best pair. */
    private static final class Pairs {
        private final Map<Long, Long> count = new HashMap<>();
        private final Map<Long, java.util.TreeSet<Integer>> where = new HashMap<>();
        private final PriorityQueue<long[]> heap;
        private final List<byte[]> tokenBytes;

        Pairs(List<byte[]> tokenBytes) {
            this.tokenBytes = tokenBytes;
            this.heap = new PriorityQueue<>((a, b) -> {
                if (a[1] != b[1]) {
                    return Long.compare(b[1], a[1]);
                }
                return compareMerged(a[0], b[0]);
            });
        }

        void add(int left, int right, long delta, int word) {
            long key = ((long) left << 32) | (right & 0xffffffffL);
            long c = count.merge(key, delta, Long::sum);
            if (delta > 0) {
                where.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(word);
                heap.add(new long[] {key, c});
            }
        }

        /** The best pair (highest count, then smallest merged bytes), or -1. Stale heap entries are skipped. */
        long popBest() {
            while (!heap.isEmpty()) {
                long[] top = heap.poll();
                Long c = count.get(top[0]);
                if (c != null && c == top[1] && c > 0) {
                    return top[0];
                }
            }
            return -1;
        }

        List<Integer> wordsOf(long key) {
            java.util.TreeSet<Integer> ws = where.get(key);
            return ws == null ? List.of() : new ArrayList<>(ws);
        }

        void forget(long key) {
            count.remove(key);
            where.remove(key);
        }

        private int compareMerged(long a, long b) {
            byte[] x = concat(tokenBytes.get((int) (a >>> 32)), tokenBytes.get((int) a));
            byte[] y = concat(tokenBytes.get((int) (b >>> 32)), tokenBytes.get((int) b));
            int c = java.util.Arrays.compareUnsigned(x, y);
            return c != 0 ? c : Long.compare(a, b);
        }
    }

    /** A learned vocabulary: token bytes by id, merges in order, special tokens after them. */
    public record TrainedTokenizer(List<byte[]> tokenBytes, List<int[]> merges, List<String> specials) {
        public int vocabSize() {
            return tokenBytes.size() + specials.size();
        }

        /** Writes vocab.json, merges.txt and tokenizer_config.json (the files a Qwen2 checkpoint ships). */
        public void write(Path dir) throws IOException {
            Files.createDirectories(dir);
            Map<String, Integer> vocab = new LinkedHashMap<>();
            for (int id = 0; id < tokenBytes.size(); id++) {
                vocab.put(ByteLevel.fromBytes(tokenBytes.get(id)), id);
            }
            StringBuilder v = new StringBuilder("{");
            for (Map.Entry<String, Integer> e : vocab.entrySet()) {
                v.append(v.length() > 1 ? ",\n" : "\n").append(Json.quote(e.getKey())).append(':').append(e.getValue());
            }
            Files.writeString(dir.resolve("vocab.json"), v.append("\n}\n").toString());
            StringBuilder m = new StringBuilder("#version: 0.2\n");
            for (int[] pair : merges) {
                m.append(ByteLevel.fromBytes(tokenBytes.get(pair[0]))).append(' ')
                        .append(ByteLevel.fromBytes(tokenBytes.get(pair[1]))).append('\n');
            }
            Files.writeString(dir.resolve("merges.txt"), m.toString());
            StringBuilder added = new StringBuilder();
            for (int i = 0; i < specials.size(); i++) {
                added.append(i == 0 ? "" : ",\n    ").append('"').append(tokenBytes.size() + i).append("\": {\"content\": ")
                        .append(Json.quote(specials.get(i)))
                        .append(", \"lstrip\": false, \"normalized\": false, \"rstrip\": false, \"single_word\": false, \"special\": true}");
            }
            String eos = specials.isEmpty() ? "null" : Json.quote(specials.get(0));
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\n  \"added_tokens_decoder\": {\n    " + added
                    + "\n  },\n  \"eos_token\": " + eos + ",\n  \"model_max_length\": 131072,\n  \"tokenizer_class\": \"Qwen2Tokenizer\"\n}\n");
        }
    }
}
