package io.gatehouse.config;

/** Bad configuration: start-up stops with this message, which names the setting. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
