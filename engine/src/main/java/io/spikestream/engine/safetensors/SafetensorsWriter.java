package io.spikestream.engine.safetensors;

import io.spikestream.engine.json.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file: tensors from bytes or floats (the demo model, test checkpoints), copied from
 * another checkpoint's tensor without loading it onto the heap (checkpoint conversion), or streamed from
 * buffers or a producer when the file is written (quantized checkpoints larger than the heap would like).
 */
public final class SafetensorsWriter {
    /** Writes a tensor's bytes, in order, when the file is written. */
    @FunctionalInterface
    public interface Producer {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /** A tensor to write: its bytes, or the tensor of an open checkpoint they are streamed from, or a producer. */
    private record Entry(String name, DType dtype, long[] shape, byte[] data, TensorInfo source, long length, Producer producer) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor from raw little-endian bytes. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] data) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n * dtype.bytes() != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.length + " bytes for " + n + " elements of " + dtype);
        }
        entries.add(new Entry(name, dtype, shape.clone(), data, null, data.length, null));
        return this;
    }

    /** Adds a tensor of an open checkpoint under {@code name}; its bytes are streamed when the file is written. */
    public SafetensorsWriter copy(String name, TensorInfo source) {
        entries.add(new Entry(name, source.dtype(), source.shape().clone(), null, source, source.length(), null));
        return this;
    }

    /** Adds a tensor whose {@code length} bytes {@code producer} writes when the file is written. */
    public SafetensorsWriter stream(String name, DType dtype, long[] shape, long length, Producer producer) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n * dtype.bytes() != length) {
            throw new IllegalArgumentException("tensor " + name + ": " + length + " bytes for " + n + " elements of " + dtype);
        }
        entries.add(new Entry(name, dtype, shape.clone(), null, null, length, producer));
        return this;
    }

    /** Adds float values encoded as F32, BF16 (round to nearest even) or F16. */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> buf.putFloat(v);
                case BF16 -> buf.putShort(io.spikestream.engine.tensor.BF16Matrix.encode(v));
                case F16 -> buf.putShort(io.spikestream.engine.tensor.F16Matrix.encodeHalf(v));
                default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
            }
        }
        return add(name, dtype, shape, buf.array());
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public void write(Path file) throws IOException {
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                header.append(first ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
                first = false;
            }
            header.append('}');
        }
        long offset = 0;
        for (Entry e : entries) {
            if (header.length() > 1) {
                header.append(',');
            }
            header.append(Json.quote(e.name)).append(":{\"dtype\":\"").append(e.dtype).append("\",\"shape\":[");
            for (int i = 0; i < e.shape.length; i++) {
                header.append(i == 0 ? "" : ",").append(e.shape[i]);
            }
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + e.length).append("]}");
            offset += e.length;
        }
        header.append('}');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padding = (8 - headerBytes.length % 8) % 8; // data aligned to 8 bytes, as the reference writer does
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerBytes.length + padding));
            writeFully(out, ByteBuffer.wrap(headerBytes));
            writeFully(out, ByteBuffer.wrap(" ".repeat(padding).getBytes(StandardCharsets.US_ASCII)));
            for (Entry e : entries) {
                if (e.data != null) {
                    writeFully(out, ByteBuffer.wrap(e.data));
                } else if (e.producer != null) {
                    long before = out.position();
                    e.producer.writeTo(out);
                    if (out.position() - before != e.length) {
                        throw new IOException("tensor " + e.name + " wrote " + (out.position() - before) + " bytes, declared " + e.length);
                    }
                } else {
                    for (ByteBuffer piece : e.source.file().map(e.source.offset(), e.source.length(), e.dtype.bytes(), 1L << 30)) {
                        writeFully(out, piece.duplicate());
                    }
                }
            }
        }
    }

    /** Writes all of {@code buf} (from its position) to {@code out}. */
    public static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
