package io.spikestream.connectors.kafka;

import java.io.Serializable;

/**
 * How the documents topic is read: its format and, for JSON, the fields that hold the text and (optionally) the
 * document. Checked here, once: {@code --text-field}/{@code --key-field} apply to JSON only, and JSON needs a text field.
 *
 * @param textField JSON: the field holding the text (a dotted path reaches into objects); null otherwise
 * @param keyField  JSON: the field naming the document instead of the record key, or null
 */
public record InputSettings(InputFormat format, String textField, String keyField) implements Serializable {
    public InputSettings {
        if (format == null) {
            throw new IllegalArgumentException("an input format is required");
        }
        if (format != InputFormat.JSON && (textField != null || keyField != null)) {
            throw new IllegalArgumentException("--text-field and --key-field apply to --input-format json");
        }
        if (format == InputFormat.JSON && (textField == null || textField.isBlank())) {
            throw new IllegalArgumentException("--input-format json needs --text-field (the field that holds the text)");
        }
    }

    /** {@code format} with JSON's default text field ({@code message}) when none is given. */
    public static InputSettings of(InputFormat format, String textField, String keyField) {
        return new InputSettings(format, format == InputFormat.JSON && textField == null ? "message" : textField, keyField);
    }
}
