package io.spikestream.engine.scoring;

import java.util.Locale;

/** What a score belongs to: one line, or a paragraph (lines between blank lines; a Markdown heading on its own). */
public enum SegmentKind {
    LINE, PARAGRAPH;

    /** The name in options, JSON and outputs: {@code line}, {@code paragraph}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code --segment line|paragraph}. */
    public static SegmentKind parse(String s) {
        for (SegmentKind k : values()) {
            if (k.label().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("a segment is line or paragraph, got '" + s + "'");
    }
}
