package io.spikestream.cli.trainer;

import io.spikestream.engine.ChunkResult;
import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.json.Json;
import io.spikestream.engine.state.DocumentState;
import io.spikestream.trainer.eval.RocAuc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code ./spikestream score-lines}: per-line surprisal of a log under a model, and detection quality. */
@Command(name = "score-lines", mixinStandardHelpOptions = true,
        description = {"Read a log through a model as one document and score every line by its surprisal (mean -ln p over its",
            "tokens). Prints the most surprising lines; with --labels (from `logs --labels`), the ROC AUC of the scores."})
public final class ScoreLinesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true) Path model;
    @Option(names = "--log", required = true) Path log;
    @Option(names = "--labels", description = "Anomaly labels: JSON lines with a \"line\" index.") Path labels;
    @Option(names = "--top", defaultValue = "10") int top;
    @Option(names = "--threads", description = "Kernel threads (default: all cores; the scores do not depend on it).") Integer threads;
    /** Tokens per call into the engine (the result does not depend on it). */
    private static final int BATCH_TOKENS = 1024;
    @Option(names = "--scores", description = "Also write each line's mean and max surprisal here (tab-separated, one line each).") Path scores;

    @Override
    public Integer call() throws Exception {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        double[] mean = new double[lines.size()];
        double[] max = new double[lines.size()];
        long start = System.nanoTime();
        long tokens = 0;
        double sum = 0;
        long scored = 0;
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            DocumentState doc = engine.newDocument();
            // Lines go through the model in batches of about BATCH_TOKENS: any chunking of a document gives the
            // same bits, and a batch amortizes the per-call work that tiny models are dominated by.
            int first = 0;
            while (first < lines.size()) {
                List<int[]> batch = new java.util.ArrayList<>();
                int batchTokens = 0;
                int end = first;
                while (end < lines.size() && (batch.isEmpty() || batchTokens < BATCH_TOKENS)) {
                    int[] ids = engine.encodeLiteral(lines.get(end) + "\n");
                    batch.add(ids);
                    batchTokens += ids.length;
                    end++;
                }
                int[] all = new int[batchTokens];
                int at = 0;
                for (int[] ids : batch) {
                    System.arraycopy(ids, 0, all, at, ids.length);
                    at += ids.length;
                }
                double[] logProbs = batchTokens == 0 ? new double[0] : engine.advance(doc, all).logProbs();
                at = 0;
                for (int k = 0; k < batch.size(); k++) {
                    int i = first + k;
                    double s = 0;
                    double m = 0;
                    int n = 0;
                    for (int j = at; j < at + batch.get(k).length; j++) {
                        double lp = logProbs[j];
                        if (!Double.isNaN(lp)) {
                            s -= lp;
                            m = Math.max(m, -lp);
                            n++;
                        }
                    }
                    at += batch.get(k).length;
                    mean[i] = n == 0 ? 0 : s / n;
                    max[i] = m;
                    sum += s;
                    scored += n;
                }
                tokens += batchTokens;
                first = end;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (scores != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < mean.length; i++) {
                sb.append(String.format(Locale.ROOT, "%.6f\t%.6f%n", mean[i], max[i]));
            }
            Files.writeString(scores, sb.toString());
        }
        System.out.printf(Locale.ROOT, "%d lines, %,d tokens in %.1f s (%,.0f tokens/s, %d threads, JDK %s); perplexity %.3f (%.4f nats/token)%n",
                lines.size(), tokens, seconds, tokens / seconds, threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                Runtime.version().feature(), Math.exp(sum / scored), sum / scored);
        System.out.println("most surprising lines (mean nats/token):");
        IntStream.range(0, lines.size()).boxed().sorted(Comparator.comparingDouble((Integer i) -> -mean[i])).limit(top)
                .forEach(i -> System.out.printf(Locale.ROOT, "  %6.2f  line %-6d %s%n", mean[i], i + 1,
                        lines.get(i).length() > 110 ? lines.get(i).substring(0, 107) + "..." : lines.get(i)));
        if (labels != null) {
            boolean[] anomalous = new boolean[lines.size()];
            for (String l : Files.readAllLines(labels, StandardCharsets.UTF_8)) {
                Map<String, Object> label = Json.parseObject(l);
                anomalous[((Number) label.get("line")).intValue()] = true;
            }
            System.out.printf(Locale.ROOT, "ROC AUC of line scores: mean surprisal %.4f, max surprisal %.4f (%d anomalous of %d lines)%n",
                    RocAuc.of(mean, anomalous), RocAuc.of(max, anomalous), count(anomalous), lines.size());
        }
        return 0;
    }

    private static int count(boolean[] b) {
        int n = 0;
        for (boolean x : b) {
            n += x ? 1 : 0;
        }
        return n;
    }
}
