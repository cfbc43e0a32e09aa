package io.spikestream.engine;

import io.spikestream.engine.testing.BrokenModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCheckTest {
    @TempDir
    Path tmp;

    @Test
    void theShippedModelIsUsable() {
        assertThatCode(() -> ModelCheck.requireUsable(BrokenModels.demoModel())).doesNotThrowAnyException();
    }

    @Test
    void aTruncatedCheckpointNamesTheFirstTensorItCannotHold() throws Exception {
        Path dir = BrokenModels.truncated(BrokenModels.demoModel(), tmp.resolve("t"), 0.5);
        // the demo model's tensors are laid out in header order; lm_head.weight is last and surely cut off
        assertThatThrownBy(() -> ModelCheck.requireUsable(dir)).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("the model in " + dir + " cannot be loaded").hasMessageContaining("truncated")
                .hasMessageContaining("tensor '");
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path dir = BrokenModels.withoutTensor(BrokenModels.demoModel(), tmp.resolve("m"), "model.layers.2.attn.k_proj.weight");
        assertThatThrownBy(() -> ModelCheck.requireUsable(dir)).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("model.layers.2.attn.k_proj.weight");
    }

    @Test
    void missingTokenizerAndConfigAndDirectoryAreNamed() throws Exception {
        Path noVocab = BrokenModels.withoutFile(BrokenModels.demoModel(), tmp.resolve("v"), "vocab.json");
        assertThatThrownBy(() -> ModelCheck.requireUsable(noVocab)).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("has no tokenizer").hasMessageContaining("vocab.json and merges.txt").hasMessageContaining("only merges.txt");
        Path noConfig = BrokenModels.withoutFile(BrokenModels.demoModel(), tmp.resolve("c"), "config.json");
        assertThatThrownBy(() -> ModelCheck.requireUsable(noConfig)).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("no config.json in " + noConfig);
        assertThatThrownBy(() -> ModelCheck.requireUsable(tmp.resolve("nowhere"))).isInstanceOf(UnusableModelException.class)
                .hasMessageContaining("nowhere does not exist");
    }
}
