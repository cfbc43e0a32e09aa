package io.spikestream.engine.model;

import io.spikestream.engine.safetensors.TensorInfo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Identifies the weights a document state belongs to: SHA-256 over the configuration, every used tensor's
 * name, dtype and shape, and its bytes (all of them up to 1 MiB, else 64 windows of 4 KiB spread over the
 * tensor, so a 15 GB checkpoint is fingerprinted in a fraction of a second while any fine-tune differs).
 */
public record ModelFingerprint(byte[] bytes) {
    public static final int LENGTH = 32;
    private static final long FULL_HASH_LIMIT = 1L << 20;
    private static final int WINDOWS = 64;
    private static final int WINDOW_BYTES = 4096;

    public ModelFingerprint {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a fingerprint has " + LENGTH + " bytes, got " + bytes.length);
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public static ModelFingerprint of(Configuration config, List<TensorInfo> tensors) {
        MessageDigest sha = sha256();
        sha.update(("gla_swa-fingerprint/1;" + config.canonical()).getBytes(StandardCharsets.UTF_8));
        for (TensorInfo t : tensors) {
            sha.update((";" + t.name() + ":" + t.dtype() + ":" + t.shapeString()).getBytes(StandardCharsets.UTF_8));
            if (t.length() <= FULL_HASH_LIMIT) {
                sha.update(t.file().read(t.offset(), (int) t.length()));
            } else {
                for (int w = 0; w < WINDOWS; w++) {
                    long at = t.offset() + (t.length() - WINDOW_BYTES) * w / (WINDOWS - 1);
                    sha.update(t.file().read(at, WINDOW_BYTES));
                }
            }
        }
        return new ModelFingerprint(sha.digest());
    }

    /** For generated (random) models: the configuration, the dtype and the generator seed. */
    public static ModelFingerprint ofGenerated(Configuration config, String dtype, long seed) {
        MessageDigest sha = sha256();
        sha.update(("gla_swa-generated/1;" + config.canonical() + ";" + dtype + ";" + seed).getBytes(StandardCharsets.UTF_8));
        return new ModelFingerprint(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    /** The first 8 bytes in hex: enough to tell models apart in logs and records. */
    public String shortHex() {
        return hex().substring(0, 16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelFingerprint f && Arrays.equals(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
