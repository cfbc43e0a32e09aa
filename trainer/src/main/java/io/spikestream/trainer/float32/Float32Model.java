package io.spikestream.trainer.float32;

import io.spikestream.engine.kernels.Exp;
import io.spikestream.engine.model.Configuration;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The gla_swa forward and backward passes of io.spikestream.trainer.model.TrainingModel in float32 with
 * vector kernels: the same equations, layer for layer, over one token sequence from an empty state. The
 * float64 model stays the reference its gradients are checked against. One instance per thread (the GLA
 * layers keep scratch buffers); the weights are shared and read only.
 */
public final class Float32Model {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final Configuration c;
    private final Weights w;
    private final Object[] mixers;
    private final int head, embeddings, finalNorm;
    private final LayerNames[] names;

    /** A layer's parameter indices, resolved once. */
    private record LayerNames(int attnNorm, int mlpNorm, int gate, int up, int down) {
        static LayerNames of(Weights w, int l) {
            String pre = "model.layers." + l + ".";
            return new LayerNames(w.index(pre + "attn_norm.weight"), w.index(pre + "mlp_norm.weight"), w.index(pre + "mlp.gate_proj.weight"),
                    w.index(pre + "mlp.up_proj.weight"), w.index(pre + "mlp.down_proj.weight"));
        }
    }

    public Float32Model(Weights w) {
        this.w = w;
        this.c = w.master().config();
        this.mixers = new Object[c.numLayers()];
        this.names = new LayerNames[c.numLayers()];
        for (int l = 0; l < c.numLayers(); l++) {
            names[l] = LayerNames.of(w, l);
            mixers[l] = c.isAttentionLayer(l) ? new Window(c, w, l) : new Gla(c, w, l);
        }
        this.head = w.index(c.tieWordEmbeddings() ? "model.embeddings.weight" : "lm_head.weight");
        this.embeddings = w.index("model.embeddings.weight");
        this.finalNorm = w.index("model.norm.weight");
    }

    private record LayerCache(float[] x, float[] aInv, float[] a, Object mixer, float[] r, float[] mInv, float[] m, float[] gate,
            float[] up, float[] act) {
    }

    private record Forward(LayerCache[] layers, float[] x, float[] nInv, float[] n, float[] logits) {
    }

    /** Logits for every position, n×V row-major. */
    public float[] logits(int[] tokens) {
        return forward(tokens).logits;
    }

    /** Mean next-token cross-entropy; adds d(loss)/d(parameter) into {@code g}. */
    public double lossAndGradients(int[] tokens, Gradients g) {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("a training sequence needs at least 2 tokens, got " + tokens.length);
        }
        Forward f = forward(tokens);
        int t = tokens.length;
        int v = c.vocabSize();
        int h = c.hiddenSize();
        int predicted = t - 1;
        float[] dLogits = new float[t * v];
        double loss = 0;
        for (int i = 0; i < predicted; i++) {
            float logZ = logPartition(f.logits, i * v, v);
            int target = tokens[i + 1];
            loss += logZ - f.logits[i * v + target];
            float inv = 1f / predicted;
            int j = 0;
            for (int bound = S.loopBound(v); j < bound; j += S.length()) {
                Exp.exp(FloatVector.fromArray(S, f.logits, i * v + j).sub(logZ)).mul(inv).intoArray(dLogits, i * v + j);
            }
            for (; j < v; j++) {
                dLogits[i * v + j] = Exp.exp(f.logits[i * v + j] - logZ) * inv;
            }
            dLogits[i * v + target] -= inv;
        }
        float[] dn = Dense.backward(dLogits, f.n, t, h, w.value(head), v, g.grad(head), null);
        float[] dx = Norm.backward(dn, f.x, h, w.value(finalNorm), f.nInv, g.grad(finalNorm));
        for (int l = c.numLayers() - 1; l >= 0; l--) {
            dx = backwardLayer(l, f.layers[l], dx, t, g);
        }
        float[] dEmb = g.grad(embeddings);
        for (int i = 0; i < t; i++) {
            io.spikestream.engine.kernels.Axpy.add(dx, i * h, dEmb, tokens[i] * h, h);
        }
        return loss / predicted;
    }

    /** Mean next-token cross-entropy over the sequence, without gradients. */
    public double loss(int[] tokens) {
        float[] logits = forward(tokens).logits;
        int v = c.vocabSize();
        double loss = 0;
        for (int i = 0; i + 1 < tokens.length; i++) {
            loss += logPartition(logits, i * v, v) - logits[i * v + tokens[i + 1]];
        }
        return loss / (tokens.length - 1);
    }

    /** log Σ_j e^{x_j} of one row: the maximum, then the sum of shifted exponentials in lanes and a fixed tree. */
    private static float logPartition(float[] x, int off, int v) {
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int m = 0;
        for (int bound = S.loopBound(v); m < bound; m += S.length()) {
            mv = mv.max(FloatVector.fromArray(S, x, off + m));
        }
        float max = mv.reduceLanes(jdk.incubator.vector.VectorOperators.MAX); // a maximum is the same in any order
        for (; m < v; m++) {
            max = Math.max(max, x[off + m]);
        }
        float[] lanes = new float[S.length()];
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(v); j < bound; j += S.length()) {
            acc = acc.add(Exp.exp(FloatVector.fromArray(S, x, off + j).sub(max)));
        }
        acc.intoArray(lanes, 0);
        double z = 0;
        for (float lane : lanes) {
            z += lane;
        }
        for (; j < v; j++) {
            z += Exp.exp(x[off + j] - max);
        }
        return (float) (max + Math.log(z));
    }

    private Forward forward(int[] tokens) {
        int t = tokens.length;
        int h = c.hiddenSize();
        int v = c.vocabSize();
        float[] emb = w.value(embeddings);
        float[] x = new float[t * h];
        for (int i = 0; i < t; i++) {
            if (tokens[i] < 0 || tokens[i] >= v) {
                throw new IllegalArgumentException("token " + tokens[i] + " at " + i + " is outside the vocabulary 0.." + (v - 1));
            }
            System.arraycopy(emb, tokens[i] * h, x, i * h, h);
        }
        LayerCache[] caches = new LayerCache[c.numLayers()];
        int inter = c.intermediateSize();
        for (int l = 0; l < c.numLayers(); l++) {
            LayerNames nm = names[l];
            float[] aInv = new float[t];
            float[] a = Norm.forward(x, h, w.value(nm.attnNorm()), c.normEps(), aInv);
            Object cache;
            float[] mixed;
            if (mixers[l] instanceof Window swa) {
                Window.Cache sc = swa.forward(a, t);
                mixed = swa.output(sc);
                cache = sc;
            } else {
                Gla gla = (Gla) mixers[l];
                Gla.Cache gc = gla.forward(a, t);
                mixed = gla.output(gc);
                cache = gc;
            }
            float[] r = mixed;
            io.spikestream.engine.kernels.Axpy.add(x, 0, r, 0, r.length); // r = x + mixed
            float[] mInv = new float[t];
            float[] m = Norm.forward(r, h, w.value(nm.mlpNorm()), c.normEps(), mInv);
            float[] gate = Dense.forward(m, t, h, w.transposed(nm.gate()), null, inter);
            float[] up = Dense.forward(m, t, h, w.transposed(nm.up()), null, inter);
            float[] act = Activation.swiglu(gate, up);
            float[] down = Dense.forward(act, t, inter, w.transposed(nm.down()), null, h);
            caches[l] = new LayerCache(x, aInv, a, cache, r, mInv, m, gate, up, act);
            io.spikestream.engine.kernels.Axpy.add(r, 0, down, 0, down.length); // x_next = r + down
            x = down;
        }
        float[] nInv = new float[t];
        float[] n = Norm.forward(x, h, w.value(finalNorm), c.normEps(), nInv);
        float[] logits = Dense.forward(n, t, h, w.transposed(head), null, v);
        return new Forward(caches, x, nInv, n, logits);
    }

    private float[] backwardLayer(int l, LayerCache lc, float[] dxOut, int t, Gradients g) {
        LayerNames nm = names[l];
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        float[] dAct = Dense.backward(dxOut, lc.act, t, inter, w.value(nm.down()), h, g.grad(nm.down()), null);
        float[] dGate = new float[dAct.length];
        float[] dUp = new float[dAct.length];
        Activation.swigluBackward(dAct, lc.gate, lc.up, dGate, dUp);
        float[] dm = new float[t * h];
        Dense.backward(dGate, lc.m, t, h, w.value(nm.gate()), inter, g.grad(nm.gate()), null, dm);
        Dense.backward(dUp, lc.m, t, h, w.value(nm.up()), inter, g.grad(nm.up()), null, dm);
        float[] dr = Norm.backward(dm, lc.r, h, w.value(nm.mlpNorm()), lc.mInv, g.grad(nm.mlpNorm()));
        io.spikestream.engine.kernels.Axpy.add(dxOut, 0, dr, 0, dr.length);
        float[] da = lc.mixer instanceof Window.Cache sc ? ((Window) mixers[l]).backward(sc, dr, g)
                : ((Gla) mixers[l]).backward((Gla.Cache) lc.mixer, dr, g);
        float[] dx = Norm.backward(da, lc.x, h, w.value(nm.attnNorm()), lc.aInv, g.grad(nm.attnNorm()));
        io.spikestream.engine.kernels.Axpy.add(dr, 0, dx, 0, dx.length);
        return dx;
    }
}
