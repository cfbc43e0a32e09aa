package io.spikestream.engine.tokenizer;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a tokenizer from a model directory: {@code tokenizer.json} (Hugging Face format), or
 * {@code vocab.json} + {@code merges.txt} with the added tokens of {@code tokenizer_config.json}
 * ({@code added_tokens_decoder}) and/or {@code added_tokens.json}.
 */
final class TokenizerFiles {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String VOCAB = "vocab.json";
    static final String MERGES = "merges.txt";
    static final String CONFIG = "tokenizer_config.json";
    static final String ADDED = "added_tokens.json";

    /** Vocabulary (token string → id), merges as pairs of token strings in rank order, added tokens. */
    record Contents(Map<String, Integer> vocab, List<String[]> merges, List<AddedToken> added) {
    }

    private TokenizerFiles() {
    }

    static boolean isPresent(Path dir) {
        return Files.isRegularFile(dir.resolve(TOKENIZER_JSON))
                || (Files.isRegularFile(dir.resolve(VOCAB)) && Files.isRegularFile(dir.resolve(MERGES)));
    }

    static Contents read(Path dir) {
        if (Files.isRegularFile(dir.resolve(VOCAB)) && Files.isRegularFile(dir.resolve(MERGES))) {
            return readVocabAndMerges(dir);
        }
        if (Files.isRegularFile(dir.resolve(TOKENIZER_JSON))) {
            return readTokenizerJson(dir.resolve(TOKENIZER_JSON));
        }
        throw new TokenizerException("no tokenizer in " + dir + ": expected " + VOCAB + " + " + MERGES + ", or " + TOKENIZER_JSON);
    }

    private static Contents readVocabAndMerges(Path dir) {
        Map<String, Integer> vocab = vocab(jsonObject(dir.resolve(VOCAB)), dir.resolve(VOCAB));
        List<String[]> merges = new ArrayList<>();
        Path mergesFile = dir.resolve(MERGES);
        List<String> lines = lines(mergesFile);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                throw new TokenizerException(mergesFile + " line " + (i + 1) + " is not two tokens separated by one space: \"" + line + "\"");
            }
            merges.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        Map<Integer, AddedToken> added = new LinkedHashMap<>();
        Path config = dir.resolve(CONFIG);
        if (Files.isRegularFile(config)) {
            Map<String, Object> c = jsonObject(config);
            if (c.get("added_tokens_decoder") instanceof Map<?, ?> decoder) {
                for (Map.Entry<?, ?> e : decoder.entrySet()) {
                    int id;
                    try {
                        id = Integer.parseInt(String.valueOf(e.getKey()));
                    } catch (NumberFormatException ex) {
                        throw new TokenizerException(config + ": added_tokens_decoder key \"" + e.getKey() + "\" is not a token id");
                    }
                    added.put(id, addedToken(e.getValue(), id, config));
                }
            }
        }
        Path addedFile = dir.resolve(ADDED);
        if (Files.isRegularFile(addedFile)) {
            for (Map.Entry<String, Object> e : jsonObject(addedFile).entrySet()) {
                if (!(e.getValue() instanceof Long id)) {
                    throw new TokenizerException(addedFile + ": the id of \"" + e.getKey() + "\" is not an integer");
                }
                // tokenizer_config.json knows the flags; added_tokens.json only names extra tokens (special by convention)
                added.putIfAbsent((int) (long) id, new AddedToken(e.getKey(), (int) (long) id, true, false, false, false));
            }
        }
        return new Contents(vocab, merges, new ArrayList<>(added.values()));
    }

    private static Contents readTokenizerJson(Path file) {
        Map<String, Object> root = jsonObject(file);
        if (!(root.get("model") instanceof Map<?, ?> model)) {
            throw new TokenizerException(file + " has no \"model\"");
        }
        if (model.get("type") != null && !"BPE".equals(model.get("type"))) {
            throw new TokenizerException(file + " holds a " + model.get("type") + " model; only byte-level BPE is supported");
        }
        if (!(model.get("vocab") instanceof Map<?, ?> rawVocab)) {
            throw new TokenizerException(file + " has no model.vocab");
        }
        @SuppressWarnings("unchecked")
        Map<String, Integer> vocab = vocab((Map<String, Object>) rawVocab, file);
        List<String[]> merges = new ArrayList<>();
        if (!(model.get("merges") instanceof List<?> rawMerges)) {
            throw new TokenizerException(file + " has no model.merges");
        }
        for (Object m : rawMerges) {
            if (m instanceof String s && s.indexOf(' ') > 0) {
                merges.add(new String[] {s.substring(0, s.indexOf(' ')), s.substring(s.indexOf(' ') + 1)});
            } else if (m instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a && pair.get(1) instanceof String b) {
                merges.add(new String[] {a, b});
            } else {
                throw new TokenizerException(file + ": merge " + m + " is neither \"a b\" nor [a, b]");
            }
        }
        List<AddedToken> added = new ArrayList<>();
        if (root.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> t) || !(t.get("id") instanceof Long id)) {
                    throw new TokenizerException(file + ": malformed added token " + o);
                }
                added.add(addedToken(t, (int) (long) id, file));
            }
        }
        return new Contents(vocab, merges, added);
    }

    private static AddedToken addedToken(Object value, int id, Path file) {
        if (!(value instanceof Map<?, ?> t) || !(t.get("content") instanceof String content)) {
            throw new TokenizerException(file + ": added token " + id + " has no content");
        }
        return new AddedToken(content, id, flag(t, "special", true), flag(t, "lstrip", false), flag(t, "rstrip", false),
                flag(t, "single_word", false));
    }

    private static boolean flag(Map<?, ?> t, String key, boolean otherwise) {
        return t.get(key) instanceof Boolean b ? b : otherwise;
    }

    private static Map<String, Integer> vocab(Map<String, Object> json, Path file) {
        Map<String, Integer> vocab = new java.util.HashMap<>(json.size() * 2);
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new TokenizerException(file + ": the id of \"" + e.getKey() + "\" is not a non-negative integer");
            }
            vocab.put(e.getKey(), (int) (long) id);
        }
        return vocab;
    }

    private static Map<String, Object> jsonObject(Path file) {
        try {
            return Json.parseObject(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new TokenizerException("missing tokenizer file " + file);
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new TokenizerException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new TokenizerException("missing tokenizer file " + file);
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
