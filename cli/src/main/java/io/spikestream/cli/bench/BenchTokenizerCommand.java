package io.spikestream.cli.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./spikestream bench-tokenizer}: our tokenizer against Hugging Face's, side by side. */
@Command(name = "bench-tokenizer", mixinStandardHelpOptions = true,
        description = "Tokenizer throughput against the Hugging Face tokenizers library (Rust via DJL), single thread, same text.")
public final class BenchTokenizerCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Directory with the tokenizer files (vocab.json + merges.txt).")
    Path model;

    @Option(names = "--text", required = true, description = "UTF-8 text file to encode, e.g. a log.")
    Path text;

    @Option(names = "--repeat", defaultValue = "5", description = "Copies of the text concatenated (a longer run).")
    int repeat;

    @Option(names = "--rounds", defaultValue = "9", description = "Timed rounds per tokenizer; the median is kept.")
    int rounds;

    @Override
    public Integer call() throws IOException {
        String body = Files.readString(text);
        new TokenizerBenchmark(model, body.repeat(Math.max(1, repeat)), Math.max(1, rounds), System.out).run();
        return 0;
    }
}
