package io.spikestream.trainer.model;

import io.spikestream.engine.model.Configuration;

/**
 * The gla_swa forward pass of REFERENCE.md in float64 with its backward pass, over one token sequence from
 * an empty state: next-token cross-entropy and the gradient of every parameter. The same equations as the
 * engine's forward pass (tested logit for logit), written for differentiation rather than speed.
 */
public final class TrainingModel {
    private final Configuration c;
    private final Parameters p;

    public TrainingModel(Parameters p) {
        this.c = p.config();
        this.p = p;
    }

    public Parameters parameters() {
        return p;
    }

    private record LayerCache(double[] x, double[] aInv, double[] a, Object mixer, double[] r, double[] mInv, double[] m,
            double[] gate, double[] up, double[] act) {
    }

    private record Forward(int[] tokens, LayerCache[] layers, double[] x, double[] nInv, double[] n, double[] logits) {
    }

    /** Logits for every position, n×V row-major. */
    public double[] logits(int[] tokens) {
        return forward(tokens).logits;
    }

    /**
     * Mean cross-entropy of predicting tokens[1..] from their prefixes; accumulates d(loss)/d(parameter) into
     * the parameters' gradient buffers (call {@link Parameters#zeroGrads()} between steps).
     */
    public double lossAndGradients(int[] tokens) {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("a training sequence needs at least 2 tokens, got " + tokens.length);
        }
        Forward f = forward(tokens);
        int t = tokens.length;
        int v = c.vocabSize();
        int h = c.hiddenSize();
        double[] dLogits = new double[t * v];
        double loss = 0;
        int predicted = t - 1;
        for (int i = 0; i < predicted; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, f.logits[i * v + j]);
            }
            double z = 0;
            for (int j = 0; j < v; j++) {
                z += Math.exp(f.logits[i * v + j] - max);
            }
            double logZ = max + Math.log(z);
            int target = tokens[i + 1];
            loss += logZ - f.logits[i * v + target];
            for (int j = 0; j < v; j++) {
                dLogits[i * v + j] = Math.exp(f.logits[i * v + j] - logZ) / predicted;
            }
            dLogits[i * v + target] -= 1.0 / predicted;
        }
        String head = c.tieWordEmbeddings() ? "model.embeddings.weight" : "lm_head.weight";
        double[] dn = Linear.backward(dLogits, f.n, t, h, p.value(head), v, p.grad(head), null);
        double[] dx = RmsNormLayer.backward(dn, f.x, h, p.value("model.norm.weight"), f.nInv, p.grad("model.norm.weight"));
        for (int l = c.numLayers() - 1; l >= 0; l--) {
            dx = backwardLayer(l, f.layers[l], dx, t);
        }
        double[] dEmb = p.grad("model.embeddings.weight");
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                dEmb[tokens[i] * h + j] += dx[i * h + j];
            }
        }
        return loss / predicted;
    }

    /** Mean next-token cross-entropy over the sequence, without gradients. */
    public double loss(int[] tokens) {
        double[] logits = forward(tokens).logits;
        int v = c.vocabSize();
        double loss = 0;
        for (int i = 0; i + 1 < tokens.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) {
                max = Math.max(max, logits[i * v + j]);
            }
            double z = 0;
            for (int j = 0; j < v; j++) {
                z += Math.exp(logits[i * v + j] - max);
            }
            loss += max + Math.log(z) - logits[i * v + tokens[i + 1]];
        }
        return loss / (tokens.length - 1);
    }

    private Forward forward(int[] tokens) {
        int t = tokens.length;
        int h = c.hiddenSize();
        int v = c.vocabSize();
        double[] emb = p.value("model.embeddings.weight");
        double[] x = new double[t * h];
        for (int i = 0; i < t; i++) {
            if (tokens[i] < 0 || tokens[i] >= v) {
                throw new IllegalArgumentException("token " + tokens[i] + " at " + i + " is outside the vocabulary 0.." + (v - 1));
            }
            System.arraycopy(emb, tokens[i] * h, x, i * h, h);
        }
        LayerCache[] caches = new LayerCache[c.numLayers()];
        for (int l = 0; l < c.numLayers(); l++) {
            String pre = "model.layers." + l + ".";
            double[] aInv = new double[t];
            double[] a = RmsNormLayer.forward(x, h, p.value(pre + "attn_norm.weight"), c.normEps(), aInv);
            Object mixer;
            double[] mixed;
            if (c.isAttentionLayer(l)) {
                SwaMixer swa = new SwaMixer(c, p, l);
                SwaMixer.Cache sc = swa.forward(a, t);
                mixed = swa.output(sc);
                mixer = sc;
            } else {
                GlaMixer gla = new GlaMixer(c, p, l);
                GlaMixer.Cache gc = gla.forward(a, t);
                mixed = gla.output(gc);
                mixer = gc;
            }
            double[] r = new double[t * h];
            for (int i = 0; i < r.length; i++) {
                r[i] = x[i] + mixed[i];
            }
            double[] mInv = new double[t];
            double[] m = RmsNormLayer.forward(r, h, p.value(pre + "mlp_norm.weight"), c.normEps(), mInv);
            int inter = c.intermediateSize();
            double[] gate = Linear.forward(m, t, h, p.value(pre + "mlp.gate_proj.weight"), null, inter);
            double[] up = Linear.forward(m, t, h, p.value(pre + "mlp.up_proj.weight"), null, inter);
            double[] act = new double[gate.length];
            for (int i = 0; i < act.length; i++) {
                act[i] = gate[i] * Sigmoid.sigmoid(gate[i]) * up[i];
            }
            double[] down = Linear.forward(act, t, inter, p.value(pre + "mlp.down_proj.weight"), null, h);
            caches[l] = new LayerCache(x, aInv, a, mixer, r, mInv, m, gate, up, act);
            x = new double[t * h];
            for (int i = 0; i < x.length; i++) {
                x[i] = r[i] + down[i];
            }
        }
        double[] nInv = new double[t];
        double[] n = RmsNormLayer.forward(x, h, p.value("model.norm.weight"), c.normEps(), nInv);
        String head = c.tieWordEmbeddings() ? "model.embeddings.weight" : "lm_head.weight";
        double[] logits = Linear.forward(n, t, h, p.value(head), null, v);
        return new Forward(tokens, caches, x, nInv, n, logits);
    }

    private double[] backwardLayer(int l, LayerCache lc, double[] dxOut, int t) {
        String pre = "model.layers." + l + ".";
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        // x_out = r + down(act): the residual passes dxOut to r unchanged
        double[] dAct = Linear.backward(dxOut, lc.act, t, inter, p.value(pre + "mlp.down_proj.weight"), h,
                p.grad(pre + "mlp.down_proj.weight"), null);
        double[] dGate = new double[dAct.length];
        double[] dUp = new double[dAct.length];
        for (int i = 0; i < dAct.length; i++) {
            double s = Sigmoid.sigmoid(lc.gate[i]);
            double silu = lc.gate[i] * s;
            dUp[i] = dAct[i] * silu;
            dGate[i] = dAct[i] * lc.up[i] * s * (1 + lc.gate[i] * (1 - s));
        }
        double[] dm = Linear.backward(dGate, lc.m, t, h, p.value(pre + "mlp.gate_proj.weight"), inter, p.grad(pre + "mlp.gate_proj.weight"), null);
        GlaMixer.add(dm, Linear.backward(dUp, lc.m, t, h, p.value(pre + "mlp.up_proj.weight"), inter, p.grad(pre + "mlp.up_proj.weight"), null));
        double[] dr = RmsNormLayer.backward(dm, lc.r, h, p.value(pre + "mlp_norm.weight"), lc.mInv, p.grad(pre + "mlp_norm.weight"));
        GlaMixer.add(dr, dxOut);
        double[] da = lc.mixer instanceof SwaMixer.Cache sc ? new SwaMixer(c, p, l).backward(sc, dr)
                : new GlaMixer(c, p, l).backward((GlaMixer.Cache) lc.mixer, dr);
        double[] dx = RmsNormLayer.backward(da, lc.x, h, p.value(pre + "attn_norm.weight"), lc.aInv, p.grad(pre + "attn_norm.weight"));
        GlaMixer.add(dx, dr);
        return dx;
    }
}
