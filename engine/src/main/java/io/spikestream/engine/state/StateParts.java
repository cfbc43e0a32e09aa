package io.spikestream.engine.state;

import io.spikestream.engine.model.ModelFingerprint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.zip.CRC32C;

/**
 * A document state cut into parts that can be stored separately, so that advancing a document rewrites only
 * what changed (Flink keyed state keeps each part as its own entry):
 * <ul>
 *   <li>the <b>header</b>: model fingerprint, position, last token's log-partition and hidden vector, tokenizer tail;</li>
 *   <li>one <b>GLA part</b> per GLA layer: S and the open block (changes with every chunk, constant size);</li>
 *   <li><b>window pages</b>: {@code pageSize} consecutive ring slots of one attention layer's keys and values.
 *       A chunk of n tokens touches about n / pageSize + 1 pages per layer, not the whole window. A
 *       full-attention layer's slot is the position itself, so its pages only grow: a chunk rewrites the last
 *       page it extends and appends new ones, and a page holds the slots written so far.</li>
 * </ul>
 * A spikingbrain_moe layer has both a GLA part and window pages.
 * Every part carries a CRC32C and is refused if corrupt; the header is checked against the model. Pages of
 * slots not yet written are absent and stay zero, which is what a fresh state holds; a part the header's
 * position says was written and is absent is refused ({@link MissingStatePartException}).
 */
public final class StateParts {
    private static final int HEADER_MAGIC = 0x53504B48; // "SPKH"
    private static final int HEADER_VERSION = 1;

    private StateParts() {
    }

    /**
     * Writes what {@code n} tokens from {@code startPosition} changed: the header, every GLA layer, the window
     * pages they touched (all of a state's parts when {@code startPosition} is 0 and {@code n} its position).
     * Returns the bytes written.
     */
    public static long save(DocumentState s, PartStore store, long startPosition, long n, int pageSize) throws Exception {
        byte[] h = header(s);
        store.putHeader(h);
        long written = h.length;
        if (n == 0) {
            return written;
        }
        for (int layer = 0; layer < s.layers(); layer++) {
            if (s.gla(layer) != null) {
                byte[] part = gla(s, layer);
                store.putGla(layer, part);
                written += part.length;
            }
            if (s.window(layer) != null) {
                int window = s.window(layer).window();
                BitSet touched = touchedPages(startPosition, (int) Math.min(n, window), window, pageSize);
                for (int page = touched.nextSetBit(0); page >= 0; page = touched.nextSetBit(page + 1)) {
                    byte[] part = windowPage(s, layer, page, pageSize);
                    store.putPage(layer, page, part);
                    written += part.length;
                }
            }
        }
        return written;
    }

    /** Every part of the state: what a store holds once all its parts are written. */
    public static long saveAll(DocumentState s, PartStore store, int pageSize) throws Exception {
        return save(s, store, 0, s.position(), pageSize);
    }

    /** Reassembles a stored state into {@code fresh} (a new document of the model); {@code fresh} as it is when the store is empty. */
    public static DocumentState load(DocumentState fresh, PartStore store, int pageSize) throws Exception {
        byte[] h = store.header();
        if (h == null) {
            return fresh;
        }
        restoreHeader(h, fresh);
        if (fresh.position() == 0) {
            return fresh;
        }
        for (int layer = 0; layer < fresh.layers(); layer++) {
            if (fresh.gla(layer) != null) {
                byte[] part = store.gla(layer);
                if (part == null) {
                    throw new MissingStatePartException("the GLA state of layer " + layer + " is missing (position " + fresh.position() + ")");
                }
                restoreGla(part, fresh, layer);
            }
            if (fresh.window(layer) != null) {
                fresh.window(layer).ensureCapacity(fresh.position());
                int window = fresh.window(layer).window();
                BitSet written = touchedPages(0, (int) Math.min(fresh.position(), window), window, pageSize);
                for (int page = written.nextSetBit(0); page >= 0; page = written.nextSetBit(page + 1)) {
                    byte[] part = store.page(layer, page);
                    if (part == null) {
                        throw new MissingStatePartException("window page " + page + " of layer " + layer + " is missing (position " + fresh.position() + ")");
                    }
                    restoreWindowPage(part, fresh, layer, page, pageSize);
                }
            }
        }
        return fresh;
    }

    public static byte[] header(DocumentState s) {
        byte[] tail = s.tokenizerTail().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = allocate(4 + 2 + ModelFingerprint.LENGTH + 8 + 8 + 4 + 4 * s.lastHidden().length + 4 + tail.length);
        b.putInt(HEADER_MAGIC).putShort((short) HEADER_VERSION).put(s.model().bytes()).putLong(s.position())
                .putDouble(s.lastLogSumExp()).putInt(s.lastHidden().length);
        b.asFloatBuffer().put(s.lastHidden());
        b.position(b.position() + 4 * s.lastHidden().length);
        b.putInt(tail.length).put(tail);
        return seal(b);
    }

    /** Restores the header into a fresh state of the model that should own it. */
    public static void restoreHeader(byte[] bytes, DocumentState fresh) {
        ByteBuffer b = open(bytes, "header");
        if (b.getInt() != HEADER_MAGIC) {
            throw new StateFormatException("state header has a bad magic number");
        }
        int version = Short.toUnsignedInt(b.getShort());
        if (version != HEADER_VERSION) {
            throw new StateFormatException("state header version " + version + " is not supported (expected " + HEADER_VERSION + ")");
        }
        byte[] fp = new byte[ModelFingerprint.LENGTH];
        b.get(fp);
        ModelFingerprint owner = new ModelFingerprint(fp);
        if (!owner.equals(fresh.model())) {
            throw new StateFormatException("state belongs to model " + owner.shortHex() + ", not to the loaded model " + fresh.model().shortHex());
        }
        long position = b.getLong();
        double lse = b.getDouble();
        int hidden = b.getInt();
        if (hidden != fresh.lastHidden().length || position < 0) {
            throw new StateFormatException("state header does not fit the model (hidden " + hidden + ", position " + position + ")");
        }
        b.asFloatBuffer().get(fresh.lastHidden());
        b.position(b.position() + 4 * hidden);
        byte[] tail = new byte[b.getInt()];
        b.get(tail);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(tail));
            fresh.setTokenizerTail(chars.toString());
        } catch (CharacterCodingException e) {
            throw new StateFormatException("state header's tokenizer tail is not valid UTF-8", e);
        }
        fresh.restore(position, lse);
    }

    /** S and the open block of GLA layer {@code layer} (only the position-mod-BLOCK pending rows). */
    public static byte[] gla(DocumentState s, int layer) {
        GlaState g = requireGla(s, layer);
        int pending = (int) (s.position() % GlaState.BLOCK) * g.kvHeads() * g.headDim();
        ByteBuffer b = allocate(4 + 4 + 8 + 4L * (g.s.length + 3L * pending));
        b.putInt(layer).putInt(pending).putLong(s.position());
        putFloats(b, g.s, 0, g.s.length);
        putFloats(b, g.keys, 0, pending);
        putFloats(b, g.values, 0, pending);
        putFloats(b, g.decays, 0, pending);
        return seal(b);
    }

    /** Restores a GLA part; the header (position) must have been restored first. */
    public static void restoreGla(byte[] bytes, DocumentState s, int layer) {
        GlaState g = requireGla(s, layer);
        ByteBuffer b = open(bytes, "GLA layer " + layer);
        int storedLayer = b.getInt();
        int pending = b.getInt();
        long position = b.getLong();
        int expectedPending = (int) (s.position() % GlaState.BLOCK) * g.kvHeads() * g.headDim();
        if (storedLayer != layer || position != s.position() || pending != expectedPending
                || b.remaining() != 4L * (g.s.length + 3L * pending) + 4) {
            throw new StateFormatException("GLA part of layer " + storedLayer + " at position " + position
                    + " does not fit layer " + layer + " at position " + s.position());
        }
        getFloats(b, g.s, 0, g.s.length);
        getFloats(b, g.keys, 0, pending);
        getFloats(b, g.values, 0, pending);
        getFloats(b, g.decays, 0, pending);
    }

    /** Number of pages of an attention layer's window. */
    public static int pageCount(DocumentState s, int layer, int pageSize) {
        KeyValueWindow w = requireWindow(s, layer);
        long slots = w.unbounded() ? s.position() : w.capacity();
        return (int) ((slots + pageSize - 1) / pageSize);
    }

    /** Pages of a window whose slots a chunk of n tokens at startPosition writes (a full-attention window's slot is the position). */
    public static BitSet touchedPages(long startPosition, int n, int window, int pageSize) {
        BitSet pages = new BitSet();
        long first = Math.max(startPosition, startPosition + n - window);
        for (long p = first; p < startPosition + n; p++) {
            pages.set((int) (p % window) / pageSize);
        }
        return pages;
    }

    /**
     * Keys and values of ring slots [page·pageSize, …) of a sliding-window layer: floats, or for an int8
     * window (W8ASpike) the codes and scales of every slot.
     */
    public static byte[] windowPage(DocumentState s, int layer, int page, int pageSize) {
        KeyValueWindow w = requireWindow(s, layer);
        int from = page * pageSize;
        int slots = slots(w, from, pageSize, s.position());
        if (slots <= 0) {
            throw new IllegalArgumentException("page " + page + " is outside a window of " + w.capacity() + " slots");
        }
        int values = slots * w.kvDim();
        if (w instanceof QuantizedKvWindow qw) {
            int scales = slots * qw.heads();
            ByteBuffer b = allocate(4 + 4 + 4 + 2L * values + 8L * scales);
            b.putInt(layer).putInt(page).putInt(-slots);
            b.put(qw.keyCodes, from * w.kvDim(), values).put(qw.valueCodes, from * w.kvDim(), values);
            putFloats(b, qw.keyScales, from * qw.heads(), scales);
            putFloats(b, qw.valueScales, from * qw.heads(), scales);
            return seal(b);
        }
        ByteBuffer b = allocate(4 + 4 + 4 + 8L * values);
        b.putInt(layer).putInt(page).putInt(slots);
        putFloats(b, ((KvWindow) w).keys, from * w.kvDim(), values);
        putFloats(b, ((KvWindow) w).values, from * w.kvDim(), values);
        return seal(b);
    }

    public static void restoreWindowPage(byte[] bytes, DocumentState s, int layer, int page, int pageSize) {
        KeyValueWindow w = requireWindow(s, layer);
        ByteBuffer b = open(bytes, "window page " + page + " of layer " + layer);
        int storedLayer = b.getInt();
        int storedPage = b.getInt();
        int storedSlots = b.getInt();
        int from = page * pageSize;
        int slots = slots(w, from, pageSize, s.position());
        // The slot count is negative in int8 pages: a page of the other kind is refused, not misread.
        boolean quantized = w instanceof QuantizedKvWindow;
        long body = quantized ? 2L * slots * w.kvDim() + 8L * slots * ((QuantizedKvWindow) w).heads() : 8L * slots * w.kvDim();
        if (storedLayer != layer || storedPage != page || storedSlots != (quantized ? -slots : slots) || b.remaining() != body + 4) {
            throw new StateFormatException("window page " + storedPage + " of layer " + storedLayer + " (" + Math.abs(storedSlots)
                    + (storedSlots < 0 ? " int8" : " float") + " slots) does not fit page " + page + " of layer " + layer
                    + " (" + slots + (quantized ? " int8" : " float") + " slots)");
        }
        if (w instanceof QuantizedKvWindow qw) {
            int values = slots * w.kvDim();
            b.get(qw.keyCodes, from * w.kvDim(), values).get(qw.valueCodes, from * w.kvDim(), values);
            getFloats(b, qw.keyScales, from * qw.heads(), slots * qw.heads());
            getFloats(b, qw.valueScales, from * qw.heads(), slots * qw.heads());
            return;
        }
        getFloats(b, ((KvWindow) w).keys, from * w.kvDim(), slots * w.kvDim());
        getFloats(b, ((KvWindow) w).values, from * w.kvDim(), slots * w.kvDim());
    }

    /** Slots of the page from slot {@code from}: a whole page of a ring; of a full-attention window, the positions written. */
    private static int slots(KeyValueWindow w, int from, int pageSize, long position) {
        return w.unbounded() ? (int) Math.min(pageSize, position - from) : Math.min(pageSize, w.capacity() - from);
    }

    private static GlaState requireGla(DocumentState s, int layer) {
        GlaState g = s.gla(layer);
        if (g == null) {
            throw new IllegalArgumentException("layer " + layer + " is not a GLA layer");
        }
        return g;
    }

    private static KeyValueWindow requireWindow(DocumentState s, int layer) {
        KeyValueWindow w = s.window(layer);
        if (w == null) {
            throw new IllegalArgumentException("layer " + layer + " has no attention window");
        }
        return w;
    }

    private static ByteBuffer allocate(long size) {
        if (size + 4 > Integer.MAX_VALUE) {
            throw new IllegalStateException("state part of " + size + " bytes exceeds a byte array");
        }
        return ByteBuffer.allocate((int) size + 4).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] seal(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        if (b.hasRemaining()) {
            throw new IllegalStateException("state part size miscomputed by " + b.remaining() + " bytes");
        }
        return b.array();
    }

    private static ByteBuffer open(byte[] bytes, String what) {
        if (bytes == null || bytes.length < 8) {
            throw new StateFormatException("state " + what + " is missing or truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new StateFormatException("state " + what + " is corrupt: CRC32C mismatch");
        }
        return b;
    }

    private static void putFloats(ByteBuffer b, float[] a, int offset, int n) {
        b.asFloatBuffer().put(a, offset, n);
        b.position(b.position() + 4 * n);
    }

    private static void getFloats(ByteBuffer b, float[] a, int offset, int n) {
        b.asFloatBuffer().get(a, offset, n);
        b.position(b.position() + 4 * n);
    }
}
