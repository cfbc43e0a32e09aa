package io.spikestream.trainer.model;

import java.util.HashMap;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, not applied to norms and biases) with linear warm-up then cosine decay to
 * 10% of the peak rate, and clipping of the global gradient norm.
 */
public final class AdamW {
    public record Settings(double peakRate, int warmupSteps, int totalSteps, double beta1, double beta2, double eps, double weightDecay,
            double clipNorm) {
        public static Settings defaults(double peakRate, int totalSteps) {
            return new Settings(peakRate, Math.max(1, totalSteps / 20), totalSteps, 0.9, 0.95, 1e-8, 0.1, 1.0);
        }
    }

    private final Parameters p;
    private final Settings s;
    private final Map<String, double[]> m = new HashMap<>();
    private final Map<String, double[]> v = new HashMap<>();
    private int step;
    // per parameter, in p.names() order: resolved once (string hashing was a few percent of a float32 step)
    private final double[][] weights, grads, firsts, seconds;
    private final boolean[] decays;

    public AdamW(Parameters p, Settings s) {
        this.p = p;
        this.s = s;
        for (String name : p.names()) {
            m.put(name, new double[p.value(name).length]);
            v.put(name, new double[p.value(name).length]);
        }
        java.util.List<String> names = p.names();
        weights = names.stream().map(p::value).toArray(double[][]::new);
        grads = names.stream().map(p::grad).toArray(double[][]::new);
        firsts = names.stream().map(m::get).toArray(double[][]::new);
        seconds = names.stream().map(v::get).toArray(double[][]::new);
        decays = new boolean[names.size()];
        for (int i = 0; i < decays.length; i++) {
            decays[i] = p.shape(names.get(i)).length == 2;
        }
    }

    /** The learning rate of step {@code k} (0-based). */
    public double rate(int k) {
        if (k < s.warmupSteps()) {
            return s.peakRate() * (k + 1) / s.warmupSteps();
        }
        double progress = Math.min(1.0, (double) (k - s.warmupSteps()) / Math.max(1, s.totalSteps() - s.warmupSteps()));
        return s.peakRate() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /** Applies one update from the accumulated gradients; returns the gradient norm before clipping. */
    public double step() {
        double norm2 = 0;
        for (double[] gs : grads) {
            for (double g : gs) {
                norm2 += g * g;
            }
        }
        double norm = Math.sqrt(norm2);
        double clip = norm > s.clipNorm() ? s.clipNorm() / norm : 1.0;
        double lr = rate(step);
        step++;
        double c1 = 1 - Math.pow(s.beta1(), step);
        double c2 = 1 - Math.pow(s.beta2(), step);
        // tensors in parallel when called inside a fork-join pool: each element's update is on its own, the same bits
        java.util.stream.IntStream.range(0, weights.length).parallel().forEach(n -> update(n, clip, lr, c1, c2));
        return norm;
    }

    private void update(int n, double clip, double lr, double c1, double c2) {
        double[] w = weights[n];
        double[] g = grads[n];
        double[] mm = firsts[n];
        double[] vv = seconds[n];
        boolean decay = decays[n];
        for (int i = 0; i < w.length; i++) {
            double gi = g[i] * clip;
            mm[i] = s.beta1() * mm[i] + (1 - s.beta1()) * gi;
            vv[i] = s.beta2() * vv[i] + (1 - s.beta2()) * gi * gi;
            double update = (mm[i] / c1) / (Math.sqrt(vv[i] / c2) + s.eps());
            if (decay) {
                update += s.weightDecay() * w[i];
            }
            w[i] -= lr * update;
        }
    }

    public int steps() {
        return step;
    }

    /** First and second moment of a parameter (for saving the optimizer state). */
    double[] moment1(String name) {
        return m.get(name);
    }

    double[] moment2(String name) {
        return v.get(name);
    }

    /** Restores the step count (moments are restored into {@link #moment1}/{@link #moment2} in place). */
    void restoreSteps(int steps) {
        this.step = steps;
    }
}
