package io.spikestream.engine.spiking;

import io.spikestream.engine.model.Model;

/** The layouts W8ASpike does not cover yet: spikingbrain_moe runs in float only. */
final class FloatOnlyLayouts {
    private FloatOnlyLayouts() {
    }

    static void check(Model model, String what) {
        if (model.config().moe() != null) {
            throw new IllegalArgumentException(what + " is defined for gla_swa models; this is a " + model.config().modelType()
                    + " model, which this release runs in float only");
        }
    }
}
