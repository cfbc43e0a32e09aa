package io.spikestream.engine.testing;

import io.spikestream.engine.model.AttentionWeights;
import io.spikestream.engine.model.GlaGate;
import io.spikestream.engine.model.LayerWeights;
import io.spikestream.engine.model.Linear;
import io.spikestream.engine.model.Model;
import io.spikestream.engine.model.SpikingLinear;
import io.spikestream.engine.tensor.SpikeWeights;

import java.util.LinkedHashMap;
import java.util.Map;

/** The spiking linears of a W8ASpike model by checkpoint name (e.g. {@code model.layers.0.attn.q_proj}). */
public final class SpikingLinears {
    private SpikingLinears() {
    }

    public static Map<String, SpikeWeights> byName(Model model) {
        Map<String, SpikeWeights> out = new LinkedHashMap<>();
        for (int i = 0; i < model.config().numLayers(); i++) {
            String p = "model.layers." + i + ".";
            LayerWeights lw = model.weights().layers().get(i);
            AttentionWeights a = lw.attention();
            put(out, p + "attn.q_proj", a.q());
            put(out, p + "attn.k_proj", a.k());
            put(out, p + "attn.v_proj", a.v());
            put(out, p + "attn.o_proj", a.o());
            if (a.gate() instanceof GlaGate.Dense d) {
                put(out, p + "attn.gk_proj", d.linear());
            }
            put(out, p + "mlp.gate_proj", lw.gateProj());
            put(out, p + "mlp.up_proj", lw.upProj());
        }
        return out;
    }

    private static void put(Map<String, SpikeWeights> out, String name, Linear l) {
        if (!(l instanceof SpikingLinear s)) {
            throw new IllegalArgumentException(name + " is not a spiking linear");
        }
        out.put(name, s.weight());
    }

    /** The weight-only int8 scales of the model's down_proj matrices, as the float64 reference takes them. */
    public static W8ASpikeReference.ScaleSource downProjScalesOf(Model model) {
        return (name, out, in) -> {
            int layer = Integer.parseInt(name.split("\\.")[2]);
            io.spikestream.engine.tensor.Q8Matrix m = (io.spikestream.engine.tensor.Q8Matrix) model.weights().layers().get(layer).downProj();
            int groups = in / m.groupSize();
            double[][] s = new double[out][groups];
            for (int o = 0; o < out; o++) {
                for (int g = 0; g < groups; g++) {
                    s[o][g] = m.scales()[o * groups + g];
                }
            }
            return s;
        };
    }

    /** Scales [out][groups] of one linear, as the float64 reference takes them. */
    public static W8ASpikeReference.ScaleSource scalesOf(Model model) {
        Map<String, SpikeWeights> linears = byName(model);
        return (name, out, in) -> {
            SpikeWeights w = linears.get(name);
            double[][] s = new double[out][w.groups()];
            for (int o = 0; o < out; o++) {
                for (int g = 0; g < w.groups(); g++) {
                    s[o][g] = w.scale(o, g);
                }
            }
            return s;
        };
    }
}
