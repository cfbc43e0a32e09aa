package io.spikestream.engine.safetensors;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of a model directory: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name to file).
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;

    private Checkpoint(Path directory, List<SafetensorsFile> files, Map<String, TensorInfo> tensors) {
        this.directory = directory;
        this.files = files;
        this.tensors = tensors;
    }

    /** Whether {@code dir} holds weights in a layout this class reads. */
    public static boolean isPresent(Path dir) {
        return Files.isRegularFile(dir.resolve(INDEX_FILE)) || Files.isRegularFile(dir.resolve(SINGLE_FILE));
    }

    public static Checkpoint open(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            return new Checkpoint(dir, List.of(f), f.tensors());
        }
        throw new CheckpointException("no weights in " + dir + ": expected " + SINGLE_FILE + " or " + INDEX_FILE);
    }

    private static Checkpoint openSharded(Path dir, Path index) {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(index));
        } catch (IOException | JsonException e) {
            throw new CheckpointException("cannot read " + index + ": " + e.getMessage(), e);
        }
        if (!(json.get("weight_map") instanceof Map<?, ?> weightMap) || weightMap.isEmpty()) {
            throw new CheckpointException(index + " has no weight_map");
        }
        Map<String, SafetensorsFile> byFile = new TreeMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        try {
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String tensor = String.valueOf(e.getKey());
                String fileName = String.valueOf(e.getValue());
                Path shard = dir.resolve(fileName).normalize();
                if (!shard.startsWith(dir.normalize())) {
                    throw new CheckpointException(index + " maps '" + tensor + "' to a file outside the model directory: " + fileName);
                }
                SafetensorsFile f = byFile.get(fileName);
                if (f == null) {
                    if (!Files.isRegularFile(shard)) {
                        throw new CheckpointException("shard " + fileName + " listed in " + index + " for tensor '" + tensor + "' is missing");
                    }
                    f = SafetensorsFile.open(shard);
                    byFile.put(fileName, f);
                    opened.add(f);
                }
                TensorInfo info = f.tensors().get(tensor);
                if (info == null) {
                    throw new CheckpointException(index + " maps tensor '" + tensor + "' to " + fileName + ", which does not contain it");
                }
                tensors.put(tensor, info);
            }
        } catch (RuntimeException e) {
            for (SafetensorsFile f : opened) {
                try {
                    f.close();
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
            }
            throw e;
        }
        return new Checkpoint(dir, List.copyOf(opened), Collections.unmodifiableMap(tensors));
    }

    public Path directory() {
        return directory;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor, or an error naming it and the shape that was expected. */
    public TensorInfo require(String name, long... expectedShape) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException("missing tensor '" + name + "' (expected shape "
                    + java.util.Arrays.toString(expectedShape) + ") in " + directory);
        }
        if (!info.hasShape(expectedShape)) {
            throw new CheckpointException("tensor '" + name + "' has shape " + info.shapeString() + " but the config needs "
                    + java.util.Arrays.toString(expectedShape) + " (in " + info.file().path() + ")");
        }
        if (!info.dtype().isFloatWeight()) {
            throw new CheckpointException("tensor '" + name + "' has dtype " + info.dtype()
                    + "; weights must be F32, BF16 or F16 (in " + info.file().path() + ")");
        }
        return info;
    }

    /** An integer tensor (codes, exception indices) of exactly this dtype and shape, or an error naming it. */
    public TensorInfo requireTyped(String name, DType dtype, long... expectedShape) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException("missing tensor '" + name + "' (expected " + dtype + " of shape "
                    + java.util.Arrays.toString(expectedShape) + ") in " + directory);
        }
        if (info.dtype() != dtype) {
            throw new CheckpointException("tensor '" + name + "' has dtype " + info.dtype() + " but must be " + dtype
                    + " (in " + info.file().path() + ")");
        }
        if (!info.hasShape(expectedShape)) {
            throw new CheckpointException("tensor '" + name + "' has shape " + info.shapeString() + " but needs "
                    + java.util.Arrays.toString(expectedShape) + " (in " + info.file().path() + ")");
        }
        return info;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
