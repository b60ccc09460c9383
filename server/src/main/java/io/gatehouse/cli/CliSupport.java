package io.gatehouse.cli;

import io.gatehouse.config.GatehouseConfig;
import java.util.function.Supplier;

/** Hands the root command's configuration loader, and its --url and --key, to the management commands. */
public final class CliSupport {
    private CliSupport() {
    }

    public static void setLocalConfig(Supplier<GatehouseConfig> loader) {
        Call.localConfig = loader;
    }

    /** The root command's {@code --url} and {@code --key}: every management command's, unless it has its own. */
    public static void setGlobalApi(Supplier<java.util.Optional<String>> url, Supplier<java.util.Optional<String>> key) {
        Api.globalUrl = url;
        Api.globalKey = key;
    }
}
