package io.spikestream.connectors.producer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.UnmappableCharacterException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts text into chunks of at most {@code maxBytes} UTF-8 bytes, reading it as a stream (two chunks in memory
 * at most), so that concatenating the chunks gives the text back exactly.
 *
 * <p>Chunks end at line ends ({@code \n}) whenever that is possible: each chunk holds as many whole lines as
 * fit. A line longer than {@code maxBytes} is cut where the chunk is full, at a code point boundary (never
 * inside a surrogate pair, so never inside a UTF-8 sequence), and never between the {@code \r} and {@code \n}
 * of a CRLF; the rest of that line starts the next chunk. Empty text gives one empty chunk.
 */
public final class TextChunker {
    /** The longest UTF-8 encoding of one code point: a smaller chunk could not hold every character. */
    public static final int MIN_MAX_BYTES = 4;

    private final int maxBytes;

    public TextChunker(int maxBytes) {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("chunk size must be at least " + MIN_MAX_BYTES
                    + " bytes (the longest UTF-8 character), got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    public int maxBytes() {
        return maxBytes;
    }

    /** The chunks of UTF-8 bytes; invalid UTF-8 fails (as an {@link UncheckedIOException}) instead of being altered. */
    public Iterator<String> chunks(InputStream utf8) {
        Reader reader = new InputStreamReader(utf8, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
        return chunks(reader);
    }

    /**
     * The chunks of a text; the iterator reads {@code text} as it goes. I/O errors surface as
     * {@link UncheckedIOException}, an unpaired surrogate (no UTF-8 form) as {@link IllegalArgumentException}.
     */
    public Iterator<String> chunks(Reader text) {
        return new Chunks(text, maxBytes);
    }

    /** The chunks of a string. */
    public Iterator<String> chunks(String text) {
        return chunks(new StringReader(text));
    }

    /** UTF-8 length of a code point. */
    static int utf8Length(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }

    private static final class Chunks implements Iterator<String> {
        private final Reader in;
        private final int maxBytes;
        private final char[] buf = new char[8192];
        private int bufPos;
        private int bufLen;
        private boolean eof;
        private long charsRead;

        /** The chunk being filled. */
        private final StringBuilder current = new StringBuilder();
        private int currentBytes;
        /** Length of {@code current} (chars, bytes) up to and including its last {@code \n}; 0 if none. */
        private int lineEndChars;
        private int lineEndBytes;

        /** A code point read but not yet placed, or -1. */
        private int pushedBack = -1;
        private String next;
        private boolean emittedAny;
        private boolean done;

        Chunks(Reader in, int maxBytes) {
            this.in = in;
            this.maxBytes = maxBytes;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                next = advance();
                if (next == null) {
                    done = true;
                }
            }
            return next != null;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String chunk = next;
            next = null;
            return chunk;
        }

        /** The next chunk, or null at the end. */
        private String advance() {
            while (true) {
                int cp = readCodePoint();
                if (cp < 0) {
                    if (current.length() > 0 || !emittedAny) {
                        return take(current.length(), currentBytes);
                    }
                    return null;
                }
                int len = utf8Length(cp);
                if (currentBytes + len <= maxBytes) {
                    append(cp, len);
                    continue;
                }
                // The code point does not fit: emit the whole lines, or, inside an over-long line, everything so far.
                String chunk;
                if (lineEndChars > 0) {
                    chunk = take(lineEndChars, lineEndBytes);
                } else if (cp == '\n' && current.charAt(current.length() - 1) == '\r') {
                    chunk = take(current.length() - 1, currentBytes - 1); // keep CRLF together
                } else {
                    chunk = take(current.length(), currentBytes);
                }
                // Read the code point again for the next chunk: it may still not fit after the rest of an over-long line.
                pushedBack = cp;
                return chunk;
            }
        }

        private void append(int cp, int len) {
            current.appendCodePoint(cp);
            currentBytes += len;
            if (cp == '\n') {
                lineEndChars = current.length();
                lineEndBytes = currentBytes;
            }
        }

        /** Removes and returns the first {@code chars} chars ({@code bytes} bytes) of the current chunk. */
        private String take(int chars, int bytes) {
            String chunk = current.substring(0, chars);
            current.delete(0, chars);
            currentBytes -= bytes;
            lineEndChars = 0;
            lineEndBytes = 0;
            emittedAny = true;
            return chunk;
        }

        private int readCodePoint() {
            if (pushedBack >= 0) {
                int cp = pushedBack;
                pushedBack = -1;
                return cp;
            }
            int c = readChar();
            if (c < 0 || !Character.isSurrogate((char) c)) {
                return c;
            }
            int low = Character.isHighSurrogate((char) c) ? readChar() : -1;
            if (low < 0 || !Character.isLowSurrogate((char) low)) {
                // It has no UTF-8 form: sending it would change the text.
                throw new IllegalArgumentException("the text has an unpaired surrogate after " + charsRead + " chars");
            }
            return Character.toCodePoint((char) c, (char) low);
        }

        private int readChar() {
            if (bufPos == bufLen) {
                if (eof) {
                    return -1;
                }
                try {
                    bufLen = in.read(buf);
                } catch (MalformedInputException | UnmappableCharacterException e) {
                    throw new UncheckedIOException("the text is not valid UTF-8 (after " + charsRead + " chars)", e);
                } catch (IOException e) {
                    throw new UncheckedIOException("reading the text failed: " + e.getMessage(), e);
                }
                bufPos = 0;
                if (bufLen <= 0) {
                    eof = true;
                    bufLen = 0;
                    return -1;
                }
            }
            charsRead++;
            return buf[bufPos++];
        }
    }
}
