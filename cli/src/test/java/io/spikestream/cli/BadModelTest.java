package io.spikestream.cli;

import io.spikestream.engine.testing.BrokenModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** `demo` and `job` with a model they cannot use: a non-zero exit within seconds, naming the problem, nothing started. */
class BadModelTest {
    @TempDir
    Path tmp;

    @Test
    void theDemoWithATruncatedCheckpointExitsAtOnceNamingTheTensor() throws Exception {
        Path model = BrokenModels.truncated(BrokenModels.demoModel(), tmp.resolve("truncated"), 0.6);
        long started = System.nanoTime();
        CliRun run = CliRun.run("", "demo", "--model", model.toString(), "--work-dir", tmp.resolve("work").toString());
        assertThat((System.nanoTime() - started) / 1e9).as("seconds").isLessThan(20);
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("spikestream demo: the model in " + model + " cannot be loaded").contains("is truncated: tensor '");
        assertThat(run.out()).doesNotContain("kafka   embedded");
    }

    @Test
    void theJobWithAMissingTensorOrTokenizerOrDirectoryExitsBeforeConnecting() throws Exception {
        // no broker listens on port 1: the model is refused before anything connects
        Path noTensor = BrokenModels.withoutTensor(BrokenModels.demoModel(), tmp.resolve("no-tensor"), "model.layers.3.attn.o_proj.weight");
        CliRun a = CliRun.run("", "job", "--bootstrap-servers", "localhost:1", "--model", noTensor.toString());
        assertThat(a.exitCode()).isEqualTo(1);
        assertThat(a.err()).contains("missing tensor 'model.layers.3.attn.o_proj.weight'");
        Path noTokenizer = BrokenModels.withoutFile(BrokenModels.demoModel(), tmp.resolve("no-tokenizer"), "vocab.json");
        CliRun b = CliRun.run("", "job", "--bootstrap-servers", "localhost:1", "--model", noTokenizer.toString());
        assertThat(b.exitCode()).isEqualTo(1);
        assertThat(b.err()).contains("has no tokenizer").contains("found only merges.txt");
        CliRun c = CliRun.run("", "job", "--bootstrap-servers", "localhost:1", "--model", tmp.resolve("absent").toString());
        assertThat(c.exitCode()).isEqualTo(1);
        assertThat(c.err()).contains("the model directory " + tmp.resolve("absent") + " does not exist");
        CliRun d = CliRun.run("", "demo", "--model", noTokenizer.toString(), "--work-dir", tmp.resolve("work2").toString());
        assertThat(d.exitCode()).isEqualTo(1);
        assertThat(d.err()).contains("has no tokenizer");
    }
}
