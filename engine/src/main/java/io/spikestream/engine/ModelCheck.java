package io.spikestream.engine;

import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a model directory can serve a streaming job, checked before anything starts: the directory, its
 * tokenizer files (documents are text), config.json, and the checkpoint loaded as the job would load it (every
 * tensor present, with its shape and dtype, inside its file). A problem is one {@link UnusableModelException}
 * naming the file or the tensor, so that a job fails at once with its reason instead of restarting forever.
 */
public final class ModelCheck {
    private ModelCheck() {
    }

    /** Checks {@code dir}; returns normally when a job can load it. */
    public static void requireUsable(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UnusableModelException("the model directory " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist"), null);
        }
        if (!Tokenizer.isPresent(dir)) {
            List<String> found = Tokenizer.FILES.stream().filter(f -> Files.isRegularFile(dir.resolve(f))).toList();
            throw new UnusableModelException("the model in " + dir + " has no tokenizer: it needs vocab.json and merges.txt (or tokenizer.json)"
                    + " to read text; found " + (found.isEmpty() ? "none of them" : "only " + String.join(", ", found)), null);
        }
        try (Engine engine = Engine.load(dir, new EngineOptions(1))) {
            // the tokenizer is read lazily: read it now
            engine.tokenizer().orElseThrow().encode("check", TokenizerMode.LITERAL);
        } catch (RuntimeException e) {
            throw new UnusableModelException("the model in " + dir + " cannot be loaded: " + e.getMessage(), e);
        }
    }
}
