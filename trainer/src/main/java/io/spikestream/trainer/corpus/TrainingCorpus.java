package io.spikestream.trainer.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text {@code train} learns from, cut into pieces of about {@value #PIECE_CHARS} chars at line ends, and
 * its split into training and held-out pieces: the last {@code validation} fraction of the pieces is held out.
 * {@code calibrate} rebuilds the same split, so a model's calibration can be reproduced from its training
 * command alone.
 */
public final class TrainingCorpus {
    public static final int PIECE_CHARS = 4096;

    private TrainingCorpus() {
    }

    /** Training and held-out pieces. */
    public record Split(List<String> training, List<String> heldOut) {
        /** The held-out lines, in order, without their newlines. */
        public List<String> heldOutLines() {
            List<String> lines = new ArrayList<>();
            for (String piece : heldOut) {
                String[] parts = piece.split("\n", -1); // every piece ends with a newline: the last part is empty
                lines.addAll(List.of(parts).subList(0, parts.length - 1));
            }
            return lines;
        }
    }

    /** Each file, line by line, in ~4 KB pieces (so a held-out fraction exists even for one file). */
    public static List<String> ofFiles(List<Path> files) throws IOException {
        List<String> pieces = new ArrayList<>();
        for (Path f : files) {
            pieces.addAll(pieces(Files.readAllLines(f, StandardCharsets.UTF_8)));
        }
        return pieces;
    }

    /** A generated service log of {@code lines} lines (no anomalies), in pieces. */
    public static List<String> generated(long seed, int lines) {
        return generated(seed, lines, 1);
    }

    /**
     * The logs of {@code hosts} generated hosts, one after the other, {@code lines / hosts} lines each (rounded up):
     * each host has its own uptime counter, ids and timings, so a model trained on several does not learn one
     * host's counters. Host 0 is {@code seed}'s log; host h is that of {@code seed + 7919 h}. With several hosts the
     * held-out fraction is the end of the last host(s): text from a host the model was not trained on.
     */
    public static List<String> generated(long seed, int lines, int hosts) {
        if (hosts < 1) {
            throw new IllegalArgumentException("--log-hosts must be at least 1, got " + hosts);
        }
        int perHost = (lines + hosts - 1) / hosts;
        List<String> pieces = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            pieces.addAll(pieces(new LogGenerator(seed + 7919L * h).lines(perHost)));
        }
        return pieces;
    }

    public static List<String> pieces(List<String> lines) {
        List<String> pieces = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        for (String line : lines) {
            piece.append(line).append('\n');
            if (piece.length() >= PIECE_CHARS) {
                pieces.add(piece.toString());
                piece.setLength(0);
            }
        }
        if (!piece.isEmpty()) {
            pieces.add(piece.toString());
        }
        return pieces;
    }

    /** Holds out the last {@code fraction} of the pieces; both parts must be non-empty. */
    public static Split split(List<String> pieces, double fraction) {
        int at = (int) Math.round(pieces.size() * (1 - fraction));
        if (at <= 0 || at >= pieces.size()) {
            throw new IllegalArgumentException("--validation " + fraction + " leaves no training or no validation text ("
                    + pieces.size() + " pieces of ~" + PIECE_CHARS + " chars)");
        }
        return new Split(pieces.subList(0, at), pieces.subList(at, pieces.size()));
    }
}
