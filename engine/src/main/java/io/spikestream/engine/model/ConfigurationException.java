package io.spikestream.engine.model;

/** A config.json that does not describe a usable gla_swa model. */
public final class ConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }
}
