package io.spikestream.cli.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.spikestream.engine.tokenizer.HuggingFaceExport;
import io.spikestream.engine.tokenizer.Tokenizer;
import io.spikestream.engine.tokenizer.TokenizerMode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Our tokenizer against the Hugging Face tokenizers library (Rust, through DJL) on the same text, single
 * thread, in one run: both must produce the same ids; rounds alternate between the two so that machine
 * noise hits both; the ratio of the medians is reported.
 */
public final class TokenizerBenchmark {
    private final Path modelDir;
    private final String text;
    private final int rounds;
    private final PrintStream out;

    public TokenizerBenchmark(Path modelDir, String text, int rounds, PrintStream out) {
        this.modelDir = modelDir;
        this.text = text;
        this.rounds = rounds;
        this.out = out;
    }

    /** Runs the comparison; returns ours/HF throughput. */
    public double run() throws IOException {
        Tokenizer ours = Tokenizer.load(modelDir);
        Path tmp = Files.createTempDirectory("spikestream-hf");
        Path json = tmp.resolve("tokenizer.json");
        HuggingFaceExport.write(modelDir, json);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json, Map.of("truncation", "false", "padding", "false",
                "addSpecialTokens", "false", "maxLength", "100000000"))) {
            int[] a = ours.encode(text, TokenizerMode.LITERAL);
            int[] b = Arrays.stream(hf.encode(text, false, false).getIds()).mapToInt(l -> (int) l).toArray();
            if (!Arrays.equals(a, b)) {
                throw new IllegalStateException("the two tokenizers disagree on this text; no speed comparison is meaningful");
            }
            long bytes = text.getBytes(StandardCharsets.UTF_8).length;
            out.printf(Locale.ROOT, "# tokenizer benchmark: %d bytes, %d tokens, %d rounds each, single thread; ids identical; JDK %s%n",
                    bytes, a.length, rounds, Runtime.version());
            for (int w = 0; w < 5; w++) { // warm-up: JIT for ours, caches for both
                Tokenizer fresh = Tokenizer.load(modelDir);
                fresh.encode(text, TokenizerMode.LITERAL);
                hf.encode(text, false, false);
            }
            double[] oursSec = new double[rounds];
            double[] hfSec = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                // a fresh tokenizer each round: its word cache starts empty, like a new document
                Tokenizer fresh = Tokenizer.load(modelDir);
                long s = System.nanoTime();
                fresh.encode(text, TokenizerMode.LITERAL);
                oursSec[r] = (System.nanoTime() - s) / 1e9;
                s = System.nanoTime();
                hf.encode(text, false, false);
                hfSec[r] = (System.nanoTime() - s) / 1e9;
            }
            double o = median(oursSec);
            double h = median(hfSec);
            out.printf(Locale.ROOT, "%-28s %10.2f MB/s %12.0f tokens/s%n", "SpikeStream (Java)", bytes / o / 1e6, a.length / o);
            out.printf(Locale.ROOT, "%-28s %10.2f MB/s %12.0f tokens/s%n", "HF tokenizers (Rust, DJL)", bytes / h / 1e6, a.length / h);
            double ratio = h / o;
            out.printf(Locale.ROOT, "ratio SpikeStream / HF: %.2fx (median of %d rounds)%n", ratio, rounds);
            return ratio;
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(tmp);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
