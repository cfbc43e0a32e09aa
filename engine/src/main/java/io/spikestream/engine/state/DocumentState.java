package io.spikestream.engine.state;

import io.spikestream.engine.model.ModelFingerprint;

/**
 * Everything a model needs to continue a document after any token: the position (tokens consumed), each GLA
 * layer's {@link GlaState}, each attention layer's {@link KeyValueWindow}, the last token's final hidden vector and
 * log-partition (to score the next chunk's first token), and the tokenizer's unfinished tail. For a gla_swa
 * model its size does not grow with the document.
 */
public final class DocumentState {
    private final ModelFingerprint model;
    private final GlaState[] gla;
    private final KeyValueWindow[] windows;
    private final float[] lastHidden;
    long position;
    double lastLogSumExp;
    private String tokenizerTail = "";

    public DocumentState(ModelFingerprint model, GlaState[] gla, KeyValueWindow[] windows, int hiddenSize) {
        if (gla.length != windows.length) {
            throw new IllegalArgumentException("one GLA state or window per layer expected");
        }
        this.model = model;
        this.gla = gla;
        this.windows = windows;
        this.lastHidden = new float[hiddenSize];
    }

    private DocumentState(DocumentState o) {
        this.model = o.model;
        this.gla = new GlaState[o.gla.length];
        this.windows = new KeyValueWindow[o.windows.length];
        for (int i = 0; i < gla.length; i++) {
            gla[i] = o.gla[i] == null ? null : o.gla[i].copy();
            windows[i] = o.windows[i] == null ? null : o.windows[i].copy();
        }
        this.lastHidden = o.lastHidden.clone();
        this.position = o.position;
        this.lastLogSumExp = o.lastLogSumExp;
        this.tokenizerTail = o.tokenizerTail;
    }

    /** An independent copy: advancing it leaves this state unchanged (questions asked of a document). */
    public DocumentState fork() {
        return new DocumentState(this);
    }

    public ModelFingerprint model() {
        return model;
    }

    /** Tokens consumed so far; the next token is at this position. */
    public long position() {
        return position;
    }

    public int layers() {
        return gla.length;
    }

    /** The GLA state of a layer, or null if the layer is an attention layer. */
    public GlaState gla(int layer) {
        return gla[layer];
    }

    /** The key/value window of a layer, or null if the layer is a GLA layer. */
    public KeyValueWindow window(int layer) {
        return windows[layer];
    }

    /** Final normalized hidden vector of the last token consumed (zeros before the first token). */
    public float[] lastHidden() {
        return lastHidden;
    }

    /** log Σ exp(logits) of the last token consumed (its prediction of the next token). */
    public double lastLogSumExp() {
        return lastLogSumExp;
    }

    /** Text the streaming tokenizer holds back until the next chunk shows where the last word ends. */
    public String tokenizerTail() {
        return tokenizerTail;
    }

    public void setTokenizerTail(String tail) {
        this.tokenizerTail = tail == null ? "" : tail;
    }

    /** Records the consumption of n tokens, the last with the given final hidden vector and log-partition. */
    public void advance(int n, float[] hidden, int hiddenOffset, double logSumExp) {
        position += n;
        System.arraycopy(hidden, hiddenOffset, lastHidden, 0, lastHidden.length);
        lastLogSumExp = logSumExp;
    }

    /** Restores the scalar fields (used by the codec). */
    void restore(long position, double logSumExp) {
        this.position = position;
        this.lastLogSumExp = logSumExp;
    }

    /** Bytes of live state: what serialization writes, apart from a small header. */
    public long liveBytes() {
        long total = 4L * lastHidden.length + 8 + 2L * tokenizerTail.length();
        for (int i = 0; i < gla.length; i++) {
            if (gla[i] != null) {
                total += gla[i].liveBytes(position);
            }
            if (windows[i] != null) {
                total += windows[i].liveBytes(position);
            }
        }
        return total;
    }
}
