package io.spikestream.engine.testing;

import io.spikestream.engine.safetensors.SafetensorsFile;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;

/** Copies of a working model directory with one thing wrong, as users make them (fail-fast tests). */
public final class BrokenModels {
    private BrokenModels() {
    }

    /** The shipped demo model, trained, with its tokenizer: the source of the broken copies. */
    public static Path demoModel() {
        return TestData.repositoryRoot().resolve("models").resolve("demo-logs");
    }

    /** A copy of {@code source} in {@code dir}. */
    public static Path copy(Path source, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    /** model.safetensors cut to {@code keep} of its bytes (an interrupted download). */
    public static Path truncated(Path source, Path dir, double keep) throws IOException {
        copy(source, dir);
        Path weights = dir.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ch.truncate((long) (ch.size() * keep));
        }
        return dir;
    }

    /** model.safetensors written again without the tensor {@code name}. */
    public static Path withoutTensor(Path source, Path dir, String name) throws IOException {
        copy(source, dir);
        Path weights = dir.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(source.resolve("model.safetensors"))) {
            boolean found = false;
            for (Map.Entry<String, TensorInfo> t : f.tensors().entrySet()) {
                if (t.getKey().equals(name)) {
                    found = true;
                } else {
                    w.copy(t.getKey(), t.getValue());
                }
            }
            if (!found) {
                throw new IllegalArgumentException(source + " has no tensor " + name);
            }
            Files.delete(weights);
            w.write(weights);
        }
        return dir;
    }

    /** A copy without the file {@code name} (vocab.json, config.json, …). */
    public static Path withoutFile(Path source, Path dir, String name) throws IOException {
        copy(source, dir);
        Files.delete(dir.resolve(name));
        return dir;
    }
}
