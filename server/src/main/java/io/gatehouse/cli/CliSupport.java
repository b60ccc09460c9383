package io.gatehouse.cli;

import io.gatehouse.config.GatehouseConfig;
import java.util.function.Supplier;

/** Hands the root command's configuration loader to the management commands. */
public final class CliSupport {
    private CliSupport() {
    }

    public static void setLocalConfig(Supplier<GatehouseConfig> loader) {
        Call.localConfig = loader;
    }
}
