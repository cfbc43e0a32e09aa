package io.spikestream.engine.state;

import io.spikestream.engine.model.ModelFingerprint;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Serializes a {@link DocumentState} to bytes and back, exactly (floats as raw IEEE bits).
 *
 * <pre>
 * "SPKSTATE"  magic
 * u16 version, u16 flags (0)
 * 32 bytes    model fingerprint
 * u32 layers, hidden, kvHeads, headDim, window, glaBlock     layout, checked on restore
 * u64 position
 * f64 log-partition of the last token, H × f32 its final hidden vector
 * u32 n, n bytes UTF-8: tokenizer tail
 * per layer:  u8 kind (0 GLA, 1 sliding window, 2 full attention, 3 int8 sliding window,
 *             4 GLA and sliding window, 5 GLA and full attention: spikingbrain_moe, the GLA part first)
 *   GLA:      kv·D·D × f32 S, then (position mod BLOCK) × 3·kv·D × f32 open-block keys, values, decays
 *   window:   min(position, W) × 2·kv·D × f32 keys and values, oldest position first
 *   int8:     min(position, W) × (kv·D × i8 key codes, kv × f32 key scales, kv·D × i8 value codes,
 *             kv × f32 value scales), oldest position first (W8ASpike models)
 * u32 CRC32C of everything above
 * </pre>
 * Restoring checks the CRC before anything else, then the version, the model and the layout; a state is
 * either restored completely or refused with a reason, never half-loaded. Version 2 added the int8 window,
 * version 3 the two-part layers (kinds 4 and 5; only states that have them are written as version 3, so a
 * gla_swa state's bytes are what they were); version 1 states (float models only) have the same layout and
 * still load.
 */
public final class StateCodec {
    public static final int VERSION = 3;
    /** The version of states without two-part layers. */
    private static final int SINGLE_PART_VERSION = 2;
    /** The oldest version this engine reads. */
    public static final int OLDEST_VERSION = 1;
    private static final byte[] MAGIC = "SPKSTATE".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 8 + 2 + 2 + ModelFingerprint.LENGTH + 6 * 4 + 8;

    private StateCodec() {
    }

    public static byte[] encode(DocumentState state) {
        long size = encodedSize(state);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("state of " + size + " bytes exceeds a byte array");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        Layout layout = Layout.of(state);
        out.put(MAGIC).putShort((short) (hasTwoPartLayers(state) ? VERSION : SINGLE_PART_VERSION)).putShort((short) 0).put(state.model().bytes());
        out.putInt(state.layers()).putInt(state.lastHidden().length).putInt(layout.kvHeads).putInt(layout.headDim)
                .putInt(layout.window).putInt(GlaState.BLOCK);
        long position = state.position();
        out.putLong(position).putDouble(state.lastLogSumExp());
        putFloats(out, state.lastHidden(), 0, state.lastHidden().length);
        byte[] tail = state.tokenizerTail().getBytes(StandardCharsets.UTF_8);
        out.putInt(tail.length).put(tail);
        for (int i = 0; i < state.layers(); i++) {
            GlaState g = state.gla(i);
            KeyValueWindow w = state.window(i);
            out.put((byte) kindOf(g, w));
            if (g != null) {
                putFloats(out, g.s, 0, g.s.length);
                int pending = (int) (position % GlaState.BLOCK) * g.kvHeads() * g.headDim();
                putFloats(out, g.keys, 0, pending);
                putFloats(out, g.values, 0, pending);
                putFloats(out, g.decays, 0, pending);
            }
            if (w instanceof QuantizedKvWindow qw) {
                for (long p = position - w.held(position); p < position; p++) {
                    out.put(qw.keyCodes, qw.offset(p), qw.kvDim());
                    putFloats(out, qw.keyScales, qw.scaleOffset(p), qw.heads());
                    out.put(qw.valueCodes, qw.offset(p), qw.kvDim());
                    putFloats(out, qw.valueScales, qw.scaleOffset(p), qw.heads());
                }
            } else if (w != null) {
                KvWindow fw = (KvWindow) w;
                for (long p = position - w.held(position); p < position; p++) {
                    putFloats(out, fw.keys, w.offset(p), w.kvDim());
                    putFloats(out, fw.values, w.offset(p), w.kvDim());
                }
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /** Exact length of {@link #encode}'s output. */
    public static long encodedSize(DocumentState state) {
        return encodedSize(state, state.position());
    }

    /**
     * The size {@code state} had when it stood at {@code position} with its current tokenizer tail (the size
     * depends on the position only through the filling of windows and GLA blocks): what a state saved after an
     * earlier element of a pass of several would have measured.
     */
    public static long encodedSize(DocumentState state, long position) {
        return encodedSize(state, position, state.tokenizerTail());
    }

    /** Like {@link #encodedSize(DocumentState, long)}, with the tokenizer tail {@code tail} it had then. */
    public static long encodedSize(DocumentState state, long position, String tail) {
        long size = HEADER_BYTES + 8 + 4L * state.lastHidden().length + 4 + tail.getBytes(StandardCharsets.UTF_8).length;
        for (int i = 0; i < state.layers(); i++) {
            size += 1;
            GlaState g = state.gla(i);
            KeyValueWindow w = state.window(i);
            if (g != null) {
                size += 4L * g.s.length + 12L * (position % GlaState.BLOCK) * g.kvHeads() * g.headDim();
            }
            if (w instanceof QuantizedKvWindow qw) {
                size += w.held(position) * (2L * qw.kvDim() + 8L * qw.heads());
            } else if (w != null) {
                size += 8L * w.held(position) * w.kvDim();
            }
        }
        return size + 4;
    }

    /**
     * Restores bytes into {@code fresh}, a new state of the model that should own them (its fingerprint and
     * layout are what the bytes are checked against).
     */
    public static DocumentState decode(byte[] bytes, DocumentState fresh) {
        if (fresh.position() != 0) {
            throw new IllegalArgumentException("decode needs a fresh state to fill");
        }
        if (bytes.length < HEADER_BYTES + 4) {
            throw new StateFormatException("state is truncated: " + bytes.length + " bytes, a header alone is " + (HEADER_BYTES + 4));
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new StateFormatException("not a SpikeStream document state (bad magic)");
            }
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int storedCrc = in.getInt(bytes.length - 4);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != storedCrc) {
            throw new StateFormatException("state is corrupt: CRC32C mismatch (stored " + Integer.toHexString(storedCrc)
                    + ", computed " + Integer.toHexString((int) crc.getValue()) + ")");
        }
        in.position(MAGIC.length);
        int version = Short.toUnsignedInt(in.getShort());
        if (version < OLDEST_VERSION || version > VERSION) {
            throw new StateFormatException("state format version " + version + " is not supported (this engine reads versions "
                    + OLDEST_VERSION + " to " + VERSION + ")");
        }
        in.getShort();
        byte[] fp = new byte[ModelFingerprint.LENGTH];
        in.get(fp);
        ModelFingerprint owner = new ModelFingerprint(fp);
        if (!owner.equals(fresh.model())) {
            throw new StateFormatException("state belongs to model " + owner.shortHex() + ", not to the loaded model "
                    + fresh.model().shortHex());
        }
        Layout expected = Layout.of(fresh);
        int layers = in.getInt();
        int hidden = in.getInt();
        int kvHeads = in.getInt();
        int headDim = in.getInt();
        int window = in.getInt();
        int block = in.getInt();
        if (layers != fresh.layers() || hidden != fresh.lastHidden().length || kvHeads != expected.kvHeads
                || headDim != expected.headDim || window != expected.window || block != GlaState.BLOCK) {
            throw new StateFormatException("state layout (layers " + layers + ", hidden " + hidden + ", kv heads " + kvHeads
                    + ", head dim " + headDim + ", window " + window + ", block " + block + ") does not match the model");
        }
        try {
            return fill(in, bytes.length - 4, fresh);
        } catch (BufferUnderflowException e) {
            throw new StateFormatException("state is truncated inside its body", e);
        }
    }

    private static DocumentState fill(ByteBuffer in, int end, DocumentState state) {
        long position = in.getLong();
        if (position < 0) {
            throw new StateFormatException("state has a negative position " + position);
        }
        double lse = in.getDouble();
        getFloats(in, state.lastHidden(), 0, state.lastHidden().length);
        int tailLength = in.getInt();
        if (tailLength < 0 || tailLength > end - in.position()) {
            throw new StateFormatException("state has an impossible tokenizer tail length " + tailLength);
        }
        byte[] tail = new byte[tailLength];
        in.get(tail);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(tail));
            state.setTokenizerTail(chars.toString());
        } catch (CharacterCodingException e) {
            throw new StateFormatException("state's tokenizer tail is not valid UTF-8", e);
        }
        for (int i = 0; i < state.layers(); i++) {
            int kind = in.get();
            GlaState g = state.gla(i);
            KeyValueWindow w = state.window(i);
            int expectedKind = kindOf(g, w);
            if (kind != expectedKind) {
                throw new StateFormatException("state layer " + i + " is " + (kind >= 0 && kind < KINDS.length ? "a " + KINDS[kind] : "an unknown")
                        + " layer (" + kind + "), the model's layer is a " + KINDS[expectedKind] + " layer (" + expectedKind + ")");
            }
            if (g != null) {
                getFloats(in, g.s, 0, g.s.length);
                int pending = (int) (position % GlaState.BLOCK) * g.kvHeads() * g.headDim();
                getFloats(in, g.keys, 0, pending);
                getFloats(in, g.values, 0, pending);
                getFloats(in, g.decays, 0, pending);
            }
            if (w instanceof QuantizedKvWindow qw) {
                for (long p = position - w.held(position); p < position; p++) {
                    getBytes(in, qw.keyCodes, qw.offset(p), qw.kvDim());
                    getFloats(in, qw.keyScales, qw.scaleOffset(p), qw.heads());
                    getBytes(in, qw.valueCodes, qw.offset(p), qw.kvDim());
                    getFloats(in, qw.valueScales, qw.scaleOffset(p), qw.heads());
                }
            } else if (w != null) {
                KvWindow fw = (KvWindow) w;
                fw.ensureCapacity(position);
                for (long p = position - w.held(position); p < position; p++) {
                    getFloats(in, fw.keys, w.offset(p), w.kvDim());
                    getFloats(in, fw.values, w.offset(p), w.kvDim());
                }
            }
        }
        if (in.position() != end) {
            throw new StateFormatException("state has " + (end - in.position()) + " unexpected trailing bytes");
        }
        state.restore(position, lse);
        return state;
    }

    private static final String[] KINDS = {"GLA", "sliding-window", "full-attention", "int8 sliding-window",
        "GLA and sliding-window", "GLA and full-attention"};

    /** A layer's kind byte: what it holds. */
    private static int kindOf(GlaState g, KeyValueWindow w) {
        if (g != null && w != null) {
            return w.unbounded() ? 5 : 4;
        }
        return g != null ? 0 : w instanceof QuantizedKvWindow ? 3 : w.unbounded() ? 2 : 1;
    }

    private static boolean hasTwoPartLayers(DocumentState s) {
        for (int i = 0; i < s.layers(); i++) {
            if (s.gla(i) != null && s.window(i) != null) {
                return true;
            }
        }
        return false;
    }

    private static void getBytes(ByteBuffer in, byte[] a, int offset, int n) {
        if (in.remaining() < n) {
            throw new BufferUnderflowException();
        }
        in.get(a, offset, n);
    }

    private static void putFloats(ByteBuffer out, float[] a, int offset, int n) {
        out.asFloatBuffer().put(a, offset, n);
        out.position(out.position() + 4 * n);
    }

    private static void getFloats(ByteBuffer in, float[] a, int offset, int n) {
        if (in.remaining() < 4L * n) {
            throw new BufferUnderflowException();
        }
        in.asFloatBuffer().get(a, offset, n);
        in.position(in.position() + 4 * n);
    }

    /** The dimensions a state's bytes must agree on. */
    private record Layout(int kvHeads, int headDim, int window) {
        static Layout of(DocumentState s) {
            int kvHeads = 0;
            int headDim = 0;
            int window = 0;
            for (int i = 0; i < s.layers(); i++) {
                if (s.gla(i) != null) {
                    kvHeads = s.gla(i).kvHeads();
                    headDim = s.gla(i).headDim();
                }
                if (s.window(i) != null && !s.window(i).unbounded()) {
                    window = s.window(i).window();
                }
            }
            if (headDim == 0) {
                for (int i = 0; i < s.layers(); i++) {
                    if (s.window(i) != null) {
                        kvHeads = 0;
                        headDim = s.window(i).kvDim();
                    }
                }
            }
            return new Layout(kvHeads, headDim, window);
        }
    }
}
