package io.spikestream.cli.engine;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.generate.Generation;
import io.spikestream.engine.generate.SamplingParams;
import io.spikestream.engine.json.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** Generates a continuation of a prompt: greedy, or seeded temperature / top-p sampling. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text after a prompt (special tokens in the prompt are recognized).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory.")
    Path model;

    @ArgGroup(multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "Prompt text (needs tokenizer files in the model directory).")
        String text;

        @Option(names = "--prompt-tokens", description = "Prompt as token ids, e.g. 1,2,3 (models without a tokenizer).")
        String tokens;
    }

    @Option(names = "--max-tokens", required = true, description = "Upper bound on generated tokens.")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 (default) for greedy decoding.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (with --temperature > 0).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampler seed: the same request always gives the same text.")
    long seed;

    @Option(names = "--json", description = "Print {\"tokens\":[…],\"text\":…,\"stoppedAtEos\":…} instead of the text.")
    boolean json;

    @Option(names = "--threads", description = "Kernel threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        SamplingParams params = new SamplingParams(maxTokens, temperature, topP, seed);
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            int[] promptTokens = prompt.text != null ? engine.encodeTemplate(prompt.text) : TokenList.parse("--prompt-tokens", prompt.tokens);
            if (promptTokens.length == 0) {
                throw new IllegalArgumentException("the prompt is empty: generation needs at least one token of context");
            }
            Generation g = engine.generate(engine.newDocument(), promptTokens, params);
            String text = engine.tokenizer().isPresent() ? engine.decode(g.tokens()) : null;
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (json) {
                out.println("{\"tokens\":" + Arrays.toString(g.tokens()).replace(" ", "") + ",\"text\":"
                        + (text == null ? "null" : Json.quote(text)) + ",\"stoppedAtEos\":" + g.stoppedAtEos() + "}");
            } else if (text != null) {
                out.println(text);
            } else {
                out.println(Arrays.toString(g.tokens()).replace(" ", ""));
            }
        }
        return 0;
    }
}
