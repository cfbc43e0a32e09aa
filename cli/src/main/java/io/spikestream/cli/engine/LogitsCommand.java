package io.spikestream.cli.engine;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.state.DocumentState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * Prints the logits of every position as {@code {"tokens":[…],"logits":[[…V floats…], …]}}. The tokens go
 * through the streaming API {@code --chunk} at a time; {@code --save-restore-at K} sends the state through
 * bytes after K tokens, with a freshly loaded engine. Neither option changes a single bit of the output.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print the logits of every position of a token sequence as JSON.")
public final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory (config.json + safetensors).")
    Path model;

    @Option(names = "--tokens", required = true, description = "Token ids, e.g. 1,2,3.")
    String tokenList;

    @Option(names = "--chunk", description = "Feed the tokens N at a time (default: all at once).")
    Integer chunk;

    @Option(names = "--save-restore-at", description = "Serialize the state after K tokens, drop everything, restore, continue.")
    Integer saveRestoreAt;

    @Option(names = "--threads", description = "Kernel threads (default: all cores; the output does not depend on it).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        int[] tokens = TokenList.parse("--tokens", tokenList);
        if (tokens.length == 0) {
            throw new IllegalArgumentException("--tokens is empty: give at least one token id");
        }
        if (chunk != null && chunk < 1) {
            throw new IllegalArgumentException("--chunk must be at least 1, got " + chunk);
        }
        if (saveRestoreAt != null && (saveRestoreAt < 0 || saveRestoreAt > tokens.length)) {
            throw new IllegalArgumentException("--save-restore-at must be between 0 and " + tokens.length + ", got " + saveRestoreAt);
        }
        EngineOptions options = threads == null ? EngineOptions.defaults() : new EngineOptions(threads);
        int step = chunk == null ? tokens.length : chunk;
        Engine engine = Engine.load(model, options);
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
        try {
            int vocab = engine.model().config().vocabSize();
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] < 0 || tokens[i] >= vocab) {
                    throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            out.print("{\"tokens\":");
            out.print(Arrays.toString(tokens).replace(" ", ""));
            out.print(",\"logits\":[");
            DocumentState state = engine.newDocument();
            int pos = 0;
            if (saveRestoreAt != null && saveRestoreAt == 0) {
                byte[] bytes = engine.save(state);
                engine.close();
                engine = Engine.load(model, options);
                state = engine.restore(bytes);
            }
            while (pos < tokens.length) {
                int end = Math.min(tokens.length, pos + step);
                if (saveRestoreAt != null && saveRestoreAt > pos && saveRestoreAt < end) {
                    end = saveRestoreAt;
                }
                Model.Result r = engine.advanceWithLogits(state, Arrays.copyOfRange(tokens, pos, end));
                writeRows(out, r.logits(), end - pos, engine.model().config().vocabSize(), pos == 0);
                pos = end;
                if (saveRestoreAt != null && pos == saveRestoreAt) {
                    byte[] bytes = engine.save(state);
                    state = null;
                    engine.close();
                    engine = Engine.load(model, options);
                    state = engine.restore(bytes);
                }
            }
        } finally {
            engine.close();
        }
        out.println("]}");
        out.flush();
        if (out.checkError()) {
            throw new IOException("writing to standard output failed");
        }
        return 0;
    }

    private static void writeRows(PrintWriter out, float[] logits, int rows, int vocab, boolean first) {
        for (int r = 0; r < rows; r++) {
            out.print(first && r == 0 ? "[" : ",[");
            for (int c = 0; c < vocab; c++) {
                float v = logits[r * vocab + c];
                if (!Float.isFinite(v)) {
                    throw new IllegalStateException("logit " + c + " of row " + r + " is " + v + " (not representable in JSON)");
                }
                if (c > 0) {
                    out.print(',');
                }
                out.print(v);
            }
            out.print(']');
        }
    }
}
