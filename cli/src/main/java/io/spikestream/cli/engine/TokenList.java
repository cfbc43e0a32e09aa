package io.spikestream.cli.engine;

/** Parses "1,2,3" into token ids. */
public final class TokenList {
    private TokenList() {
    }

    public static int[] parse(String option, String value) {
        String trimmed = value.trim();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        String[] parts = trimmed.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + parts[i].trim() + "' (item " + (i + 1) + ") is not a token id");
            }
        }
        return out;
    }
}
