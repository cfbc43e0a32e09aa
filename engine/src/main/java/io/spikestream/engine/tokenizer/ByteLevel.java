package io.spikestream.engine.tokenizer;

/**
 * GPT-2's reversible map between bytes and printable characters, in which byte-level BPE vocabularies are
 * written: printable Latin-1 bytes stand for themselves, the others are shifted to U+0100 onwards.
 */
public final class ByteLevel {
    /** Character standing for each byte. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** Byte each character stands for, or -1 (indexed by char, up to U+0143). */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The bytes a vocabulary entry stands for, or null if it is not a byte-level string. */
    public static byte[] toBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                return null;
            }
            out[i] = (byte) CHAR_TO_BYTE[c];
        }
        return out;
    }

    public static String fromBytes(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }
}
