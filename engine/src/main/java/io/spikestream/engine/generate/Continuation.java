package io.spikestream.engine.generate;

/**
 * How likely a candidate continuation is after a document (and prompt): the zero-shot label score.
 *
 * @param logLikelihood sum of the candidate tokens' log-probabilities
 * @param tokens        number of candidate tokens
 * @param probability   exp(logLikelihood) normalized over the candidates that were compared
 */
public record Continuation(double logLikelihood, int tokens, double probability) {
    public double meanLogProb() {
        return logLikelihood / tokens;
    }
}
