package io.spikestream.engine.tokenizer;

import io.spikestream.engine.json.Json;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a Hugging Face {@code tokenizer.json} for a Qwen2 tokenizer given as vocab.json + merges.txt (what
 * the Rust library and its bindings load): NFC normalizer, the Qwen2 Split regex then ByteLevel
 * pre-tokenizer, byte-level BPE, ByteLevel decoder, and the added tokens with their flags.
 */
public final class HuggingFaceExport {
    static final String QWEN2_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private HuggingFaceExport() {
    }

    public static void write(Path modelDir, Path tokenizerJson) throws IOException {
        TokenizerFiles.Contents c = TokenizerFiles.read(modelDir);
        try (Writer w = Files.newBufferedWriter(tokenizerJson, StandardCharsets.UTF_8)) {
            w.write("{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
            List<AddedToken> added = c.added();
            for (int i = 0; i < added.size(); i++) {
                AddedToken t = added.get(i);
                w.write((i == 0 ? "" : ",") + "{\"id\":" + t.id() + ",\"content\":" + Json.quote(t.content())
                        + ",\"single_word\":" + t.singleWord() + ",\"lstrip\":" + t.lstrip() + ",\"rstrip\":" + t.rstrip()
                        + ",\"normalized\":false,\"special\":" + t.special() + "}");
            }
            String byteLevel = "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}";
            w.write("],\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
                    + "{\"type\":\"Split\",\"pattern\":{\"Regex\":" + Json.quote(QWEN2_PATTERN) + "},\"behavior\":\"Isolated\",\"invert\":false},"
                    + byteLevel + "]},\"post_processor\":" + byteLevel + ",\"decoder\":" + byteLevel
                    + ",\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":\"\","
                    + "\"end_of_word_suffix\":\"\",\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,\"vocab\":{");
            boolean first = true;
            for (Map.Entry<Integer, String> e : byId(c.vocab()).entrySet()) {
                w.write((first ? "" : ",") + Json.quote(e.getValue()) + ":" + e.getKey());
                first = false;
            }
            w.write("},\"merges\":[");
            for (int i = 0; i < c.merges().size(); i++) {
                String[] m = c.merges().get(i);
                w.write((i == 0 ? "" : ",") + Json.quote(m[0] + " " + m[1]));
            }
            w.write("]}}");
        }
    }

    private static Map<Integer, String> byId(Map<String, Integer> vocab) {
        Map<Integer, String> out = new TreeMap<>();
        vocab.forEach((token, id) -> out.put(id, token));
        return out;
    }
}
