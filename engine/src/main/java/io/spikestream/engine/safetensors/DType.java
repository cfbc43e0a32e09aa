package io.spikestream.engine.safetensors;

/** Element types a safetensors header may name; the engine computes with F32, BF16 and F16 weights. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Whether weights of this type can be used by the kernels (widened to float inside them). */
    public boolean isFloatWeight() {
        return this == F32 || this == BF16 || this == F16;
    }

    /** Parses a header dtype string such as {@code "BF16"}; unknown names are a format error. */
    public static DType parse(String name, String tensor, String file) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("tensor '" + tensor + "' in " + file + " has unknown dtype '" + name + "'");
        }
    }
}
