package io.gatehouse;

import io.helidon.logging.common.spi.LoggingProvider;

/**
 * Tells Helidon that logging is configured: {@link Logging} sets up java.util.logging itself. Without a
 * provider, Helidon prints "There is no Helidon logging implementation on classpath" on every start,
 * which every CLI command would show its user. Registered in {@code META-INF/services}.
 */
public final class HelidonLogging implements LoggingProvider {
    @Override
    public void initialization() {
        // Logging.configure has done it, or will, with the configured level
    }

    @Override
    public void runTime() {
        // nothing to re-read at run time
    }
}
