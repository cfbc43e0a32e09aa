package io.spikestream.engine.tokenizer;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.testing.TestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The shared tokenizer fixtures: texts with the ids the Hugging Face library gives them. */
final class FixtureCases {
    record Case(String text, int[] ids, int[] idsLiteral) {
    }

    private static Tokenizer tokenizer;

    private FixtureCases() {
    }

    static synchronized Tokenizer qwen2() {
        if (tokenizer == null) {
            tokenizer = Tokenizer.load(TestData.spikingBrain7b());
        }
        return tokenizer;
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (String line : read("qwen2-cases.jsonl").split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> c = Json.parseObject(line);
            out.add(new Case((String) c.get("text"), ints(c.get("ids")), ints(c.get("ids_literal"))));
        }
        return out;
    }

    static String longLog() {
        return read("long-log.txt");
    }

    static int[] longLogIds() {
        return ints(Json.parseObject(read("long-log.ids.json")).get("ids"));
    }

    static int[] ints(Object list) {
        List<?> l = (List<?>) list;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).intValue();
        }
        return out;
    }

    private static String read(String name) {
        try {
            return Files.readString(TestData.tokenizerFixtures().resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
