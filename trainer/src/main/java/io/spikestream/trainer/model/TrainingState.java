package io.spikestream.trainer.model;

import io.spikestream.engine.safetensors.DType;
import io.spikestream.engine.safetensors.SafetensorsFile;
import io.spikestream.engine.safetensors.SafetensorsWriter;
import io.spikestream.engine.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What resuming needs beyond the model checkpoint: the float64 master weights, AdamW's moments and step
 * count, in {@code trainer-state.safetensors} next to the model. Restored, a run continues bit for bit.
 */
public final class TrainingState {
    public static final String FILE = "trainer-state.safetensors";

    private TrainingState() {
    }

    public static void save(Path dir, Parameters p, AdamW optimizer) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("step", Integer.toString(optimizer.steps()));
        for (String name : p.names()) {
            long[] shape = p.shape(name);
            w.add("weight/" + name, DType.F64, shape, bytes(p.value(name)));
            w.add("m/" + name, DType.F64, shape, bytes(optimizer.moment1(name)));
            w.add("v/" + name, DType.F64, shape, bytes(optimizer.moment2(name)));
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        w.write(tmp);
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Loads master weights into {@code p} and the moments and step count into {@code optimizer}. */
    public static void restore(Path dir, Parameters p, AdamW optimizer) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no " + FILE + " in " + dir + ": not a checkpoint this trainer wrote (use --init to start"
                    + " from a model's weights without optimizer state)");
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : p.names()) {
                read(f, "weight/" + name, p.shape(name), p.value(name));
                read(f, "m/" + name, p.shape(name), optimizer.moment1(name));
                read(f, "v/" + name, p.shape(name), optimizer.moment2(name));
            }
            String step = f.metadata().get("step");
            if (step == null) {
                throw new IllegalArgumentException(file + " has no step count in its metadata");
            }
            optimizer.restoreSteps(Integer.parseInt(step));
        }
    }

    private static void read(SafetensorsFile f, String name, long[] shape, double[] into) {
        TensorInfo info = f.tensors().get(name);
        if (info == null || info.dtype() != DType.F64 || !info.hasShape(shape)) {
            throw new io.spikestream.engine.safetensors.CheckpointException("trainer state: tensor '" + name + "' should be F64 of shape "
                    + java.util.Arrays.toString(shape) + ", found " + (info == null ? "nothing" : info.dtype() + " " + info.shapeString()));
        }
        ByteBuffer buf = ByteBuffer.wrap(f.read(info.offset(), Math.toIntExact(info.length()))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < into.length; i++) {
            into[i] = buf.getDouble();
        }
    }

    private static byte[] bytes(double[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            buf.putDouble(d);
        }
        return buf.array();
    }
}
