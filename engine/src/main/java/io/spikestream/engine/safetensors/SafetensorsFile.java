package io.spikestream.engine.safetensors;

import io.spikestream.engine.json.Json;
import io.spikestream.engine.json.JsonException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file: an 8-byte little-endian header length, a JSON header, then the tensor data.
 *
 * <p>The header is validated against the file size when opened, so a truncated or corrupt file fails here
 * with a message naming the tensor, never later with garbage numbers. Data is memory-mapped per tensor on
 * demand ({@link #map}), in pieces below the 2 GB limit of one {@link java.nio.MappedByteBuffer}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers are small (names and shapes); anything larger means a corrupt length field. */
    private static final long MAX_HEADER_BYTES = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException("cannot open safetensors file " + path + ": " + e.getMessage(), e);
        }
        try {
            return read(path, channel);
        } catch (RuntimeException e) {
            closeQuietlyAfterFailure(channel, e);
            throw e;
        }
    }

    private static void closeQuietlyAfterFailure(FileChannel channel, RuntimeException failure) {
        try {
            channel.close();
        } catch (IOException closeFailure) {
            failure.addSuppressed(closeFailure);
        }
    }

    private static SafetensorsFile read(Path path, FileChannel channel) {
        String file = path.toString();
        try {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(file + " is truncated: " + size + " bytes, a safetensors file starts with an 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
                throw new CheckpointException(file + " is corrupt or truncated: header length " + headerLen
                        + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8);
            String headerText = new String(headerBuf.array(), StandardCharsets.UTF_8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(headerText);
            } catch (JsonException e) {
                throw new CheckpointException(file + " has a corrupt header: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLen;
            long dataBytes = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            SafetensorsFile sf = new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
            for (Map.Entry<String, Object> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) {
                        m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                    }
                    continue;
                }
                tensors.put(e.getKey(), parseEntry(sf, e.getKey(), e.getValue(), dataStart, dataBytes));
            }
            return sf;
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static TensorInfo parseEntry(SafetensorsFile sf, String name, Object value, long dataStart, long dataBytes) {
        String file = sf.path.toString();
        if (!(value instanceof Map<?, ?> entry)) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " has a malformed header entry");
        }
        if (!(entry.get("dtype") instanceof String dtypeName)) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " has no dtype");
        }
        DType dtype = DType.parse(dtypeName, name, file);
        if (!(entry.get("shape") instanceof List<?> shapeList)) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " has no shape");
        }
        long[] shape = new long[shapeList.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0) {
                throw new CheckpointException("tensor '" + name + "' in " + file + " has an invalid shape " + shapeList);
            }
            shape[i] = d;
        }
        if (!(entry.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)
                || begin < 0 || end < begin) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " has invalid data_offsets " + entry.get("data_offsets"));
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, dataStart + begin, end - begin, sf);
        long expected;
        try {
            expected = Math.multiplyExact(info.elementCount(), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " has an impossible shape " + info.shapeString());
        }
        if (end - begin != expected) {
            throw new CheckpointException("tensor '" + name + "' in " + file + " is corrupt: shape " + info.shapeString()
                    + " of " + dtype + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        if (end > dataBytes) {
            throw new CheckpointException(file + " is truncated: tensor '" + name + "' needs data bytes [" + begin + ", "
                    + end + ") but the file holds only " + dataBytes + " data bytes");
        }
        return info;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public long dataStart() {
        return dataStart;
    }

    /**
     * Maps {@code length} bytes at absolute {@code offset} as little-endian read-only buffers, each at most
     * {@code maxPieceBytes} long, cut at multiples of {@code unitBytes} (a row) so no row straddles two pieces.
     */
    public ByteBuffer[] map(long offset, long length, long unitBytes, long maxPieceBytes) {
        if (unitBytes <= 0 || unitBytes > maxPieceBytes) {
            throw new CheckpointException("cannot map rows of " + unitBytes + " bytes from " + path
                    + ": a row must fit one mapping of at most " + maxPieceBytes + " bytes");
        }
        long unitsPerPiece = maxPieceBytes / unitBytes;
        long pieceBytes = unitsPerPiece * unitBytes;
        int pieces = (int) Math.max(1, (length + pieceBytes - 1) / pieceBytes);
        List<ByteBuffer> out = new ArrayList<>(pieces);
        try {
            for (long done = 0; done < length || out.isEmpty(); done += pieceBytes) {
                long n = Math.min(pieceBytes, length - done);
                out.add(channel.map(FileChannel.MapMode.READ_ONLY, offset + done, n).order(ByteOrder.LITTLE_ENDIAN));
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot memory-map " + length + " bytes at " + offset + " of " + path + ": " + e.getMessage(), e);
        }
        return out.toArray(new ByteBuffer[0]);
    }

    /** Reads a small byte range onto the heap (used for fingerprints and 1-D tensors). */
    public byte[] read(long offset, int length) {
        ByteBuffer buf = ByteBuffer.allocate(length);
        try {
            readFully(channel, buf, offset);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + length + " bytes at " + offset + " of " + path + ": " + e.getMessage(), e);
        }
        return buf.array();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new CheckpointException("cannot close " + path + ": " + e.getMessage(), e);
        }
    }
}
