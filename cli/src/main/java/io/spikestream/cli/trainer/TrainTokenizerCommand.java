package io.spikestream.cli.trainer;

import io.spikestream.trainer.tokenizer.BpeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ./spikestream train-tokenizer}: byte-level BPE learned from text files. */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = {"Learn a byte-level BPE (Qwen2 pre-tokenization) from text files and write vocab.json, merges.txt and",
            "tokenizer_config.json, which the engine loads unchanged. Deterministic for a given corpus and size."})
public final class TrainTokenizerCommand implements Callable<Integer> {
    @Option(names = "--vocab-size", required = true, description = "Tokens in all: 256 bytes + merges + special tokens.")
    int vocabSize;

    @Option(names = "--out", required = true, description = "Directory to write the tokenizer files to.")
    Path out;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 corpus files (read line by line).")
    List<Path> corpus;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer();
        long bytes = 0;
        for (Path file : corpus) {
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    trainer.add(line + "\n");
                    bytes += line.length() + 1;
                }
            }
        }
        BpeTrainer.TrainedTokenizer trained = trainer.train(vocabSize, BpeTrainer.DEFAULT_SPECIALS);
        trained.write(out);
        System.err.printf("train-tokenizer: %,d chars -> %d tokens (%d merges, specials %s) in %.1f s, written to %s%n",
                bytes, trained.vocabSize(), trained.merges().size(), trained.specials(), (System.nanoTime() - start) / 1e9, out);
        if (trained.vocabSize() < vocabSize) {
            System.err.printf("train-tokenizer: the corpus allows only %d merges: vocabulary %d instead of %d%n",
                    trained.merges().size(), trained.vocabSize(), vocabSize);
        }
        return 0;
    }
}
