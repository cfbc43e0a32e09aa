package io.spikestream.operator.process;

import io.spikestream.avro.SurprisingSpan;
import io.spikestream.engine.TextChunkResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * Surprisal statistics of one chunk: mean and max over its scored tokens (every token but a document's very
 * first, which has no context), perplexity = e^mean, and the most surprising tokens as spans of the chunk
 * text. A token that began in text carried over from the previous chunk starts at offset 0; one that lies
 * wholly in that carried text has an empty range and its decoded text (from {@code tokenText}).
 *
 * @param scored number of tokens with a surprisal
 * @param sum    sum of their surprisals (nats)
 * @param max    the largest surprisal, or NaN when none was scored
 * @param spans  the top tokens, most surprising first (ties: earlier first)
 */
public record SurprisalSummary(int scored, double sum, double max, List<SurprisingSpan> spans) {

    public static SurprisalSummary of(TextChunkResult r, String text, int topSpans, IntFunction<String> tokenText) {
        double[] logProbs = r.result().logProbs();
        int scored = 0;
        double sum = 0;
        double max = Double.NaN;
        for (double lp : logProbs) {
            if (!Double.isNaN(lp)) {
                scored++;
                sum += -lp;
                max = Double.isNaN(max) ? -lp : Math.max(max, -lp);
            }
        }
        List<SurprisingSpan> spans = new ArrayList<>();
        IntStream.range(0, logProbs.length)
                .filter(i -> !Double.isNaN(logProbs[i]))
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> logProbs[i]).thenComparingInt(i -> i))
                .limit(topSpans)
                .forEach(i -> {
                    int start = Math.max(0, Math.min(text.length(), r.charStart()[i]));
                    int end = Math.max(start, Math.min(text.length(), r.charEnd()[i]));
                    spans.add(SurprisingSpan.newBuilder()
                            .setCharStart(start)
                            .setCharEnd(end)
                            .setText(end > start ? text.substring(start, end) : tokenText.apply(r.result().tokens()[i]))
                            .setSurprisal(-logProbs[i])
                            .setTokenPosition(r.result().startPosition() + i)
                            .build());
                });
        return new SurprisalSummary(scored, sum, max, spans);
    }

    public Double mean() {
        return scored == 0 ? null : sum / scored;
    }

    public Double maxOrNull() {
        return scored == 0 ? null : max;
    }

    public Double perplexity() {
        return scored == 0 ? null : Math.exp(sum / scored);
    }
}
