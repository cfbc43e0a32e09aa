package io.spikestream.engine.testing;

import io.spikestream.engine.Engine;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.state.DocumentState;

import java.util.Arrays;
import java.util.Set;
import java.util.function.IntUnaryOperator;

/** Runs a token sequence through an engine chunk by chunk, optionally saving and restoring the state. */
public final class Runs {
    private Runs() {
    }

    /** Logits (n×V) and log-probabilities of one run. */
    public record Output(float[] logits, double[] logProbs, float[] lastHidden) {
        public boolean sameBits(Output o) {
            return Arrays.equals(logits, o.logits) && Arrays.equals(logProbs, o.logProbs) && Arrays.equals(lastHidden, o.lastHidden);
        }
    }

    /**
     * @param chunkSize    size of the chunk starting at a given position
     * @param saveRestoreAt positions after which the state goes through bytes
     */
    public static Output run(Engine engine, int[] tokens, IntUnaryOperator chunkSize, Set<Integer> saveRestoreAt) {
        int vocab = engine.model().config().vocabSize();
        float[] logits = new float[tokens.length * vocab];
        double[] logProbs = new double[tokens.length];
        DocumentState state = engine.newDocument();
        float[] last = null;
        int pos = 0;
        while (pos < tokens.length) {
            int n = Math.min(chunkSize.applyAsInt(pos), tokens.length - pos);
            for (int cut : saveRestoreAt) {
                if (cut > pos && cut < pos + n) {
                    n = cut - pos;
                }
            }
            Model.Result r = engine.advanceWithLogits(state, Arrays.copyOfRange(tokens, pos, pos + n));
            System.arraycopy(r.logits(), 0, logits, pos * vocab, n * vocab);
            System.arraycopy(r.logProbs(), 0, logProbs, pos, n);
            last = r.lastHidden();
            pos += n;
            if (saveRestoreAt.contains(pos)) {
                byte[] bytes = engine.save(state);
                state = engine.restore(bytes);
            }
        }
        return new Output(logits, logProbs, last);
    }

    public static Output whole(Engine engine, int[] tokens) {
        return run(engine, tokens, p -> tokens.length, Set.of());
    }
}
