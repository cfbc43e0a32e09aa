package io.spikestream.cli.trainer;

import io.spikestream.engine.Engine;
import io.spikestream.engine.EngineOptions;
import io.spikestream.engine.scoring.Calibration;
import io.spikestream.engine.scoring.LineScorer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Scores normal text with a model, line by line as the job does, and writes the model's calibration.json. */
final class Calibrator {
    private Calibrator() {
    }

    static Calibration calibrate(Path model, List<String> lines, String source, Integer threads) throws IOException {
        Calibration c;
        try (Engine engine = Engine.load(model, threads == null ? EngineOptions.defaults() : new EngineOptions(threads))) {
            c = Calibration.of(LineScorer.scoreAll(engine, engine.newDocument(), lines), source);
        }
        c.write(model);
        return c;
    }
}
