package io.spikestream.cli.engine;

import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Reads UTF-8 text on stdin and prints {@code {"ids":[…]}}. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Tokenize UTF-8 text from standard input; prints {\"ids\":[...]}.")
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Directory with tokenizer files (vocab.json + merges.txt, or tokenizer.json).")
    Path model;

    @Option(names = "--specials", description = "Template mode: recognize special tokens such as <|im_start|> (default: literal text).")
    boolean specials;

    @Override
    public Integer call() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(model);
        String text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        int[] ids = tokenizer.encode(text, specials ? TokenizerMode.TEMPLATE : TokenizerMode.LITERAL);
        StringBuilder sb = new StringBuilder(ids.length * 7 + 16).append("{\"ids\":[");
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : ",").append(ids[i]);
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        out.println(sb.append("]}"));
        out.flush();
        return 0;
    }
}
