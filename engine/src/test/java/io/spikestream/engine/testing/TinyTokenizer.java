package io.spikestream.engine.testing;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.tokenizer.ByteLevel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a small byte-level BPE (vocab.json + merges.txt + tokenizer_config.json) so the tiny fixture
 * models (vocabulary 512) can read text: the 256 byte tokens, merges learned from a corpus, and
 * {@code <|endoftext|>} as the last id.
 */
public final class TinyTokenizer {
    private TinyTokenizer() {
    }

    public static void write(Path dir, String corpus, int vocabSize) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(ByteLevel.fromBytes(new byte[] {(byte) b}), b);
        }
        // words as lists of byte-level symbols, with their counts
        Map<List<String>, Integer> words = new HashMap<>();
        for (String w : corpus.replace("<|endoftext|>", " ").split("(?<=\\S)(?=\\s)")) {
            List<String> symbols = new ArrayList<>();
            for (byte b : w.getBytes(StandardCharsets.UTF_8)) {
                symbols.add(ByteLevel.fromBytes(new byte[] {b}));
            }
            words.merge(symbols, 1, Integer::sum);
        }
        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize - 1) {
            Map<String, Integer> pairs = new HashMap<>();
            String best = null;
            for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
                List<String> s = e.getKey();
                for (int i = 0; i + 1 < s.size(); i++) {
                    String key = s.get(i) + "\u0000" + s.get(i + 1);
                    int count = pairs.merge(key, e.getValue(), Integer::sum);
                    if (best == null || count > pairs.get(best) || (count == pairs.get(best) && key.compareTo(best) < 0)) {
                        best = key;
                    }
                }
            }
            if (best == null) {
                break;
            }
            String[] pair = best.split("\u0000");
            String merged = pair[0] + pair[1];
            if (vocab.containsKey(merged)) {
                break;
            }
            merges.add(pair);
            vocab.put(merged, vocab.size());
            Map<List<String>, Integer> next = new HashMap<>();
            for (Map.Entry<List<String>, Integer> e : words.entrySet()) {
                List<String> s = e.getKey();
                List<String> out = new ArrayList<>();
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
                        out.add(merged);
                        i++;
                    } else {
                        out.add(s.get(i));
                    }
                }
                next.merge(out, e.getValue(), Integer::sum);
            }
            words = next;
        }
        int eos = vocabSize - 1;
        StringBuilder v = new StringBuilder("{");
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            v.append(v.length() > 1 ? "," : "").append(Json.quote(e.getKey())).append(':').append(e.getValue());
        }
        Files.writeString(dir.resolve("vocab.json"), v.append('}').toString());
        StringBuilder m = new StringBuilder("#version: 0.2\n");
        for (String[] pair : merges) {
            m.append(pair[0]).append(' ').append(pair[1]).append('\n');
        }
        Files.writeString(dir.resolve("merges.txt"), m.toString());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"added_tokens_decoder\":{\"" + eos
                + "\":{\"content\":\"<|endoftext|>\",\"lstrip\":false,\"normalized\":false,\"rstrip\":false,"
                + "\"single_word\":false,\"special\":true}}}");
    }

    /** A copy of a fixture model directory with a tiny tokenizer trained on {@code corpus}. */
    public static Path modelWithTokenizer(Path fixture, Path target, String corpus) throws IOException {
        Files.createDirectories(target);
        try (var files = Files.list(fixture)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().startsWith("expected")) {
                    Files.copy(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        write(target, corpus, 512);
        return target;
    }
}
