package io.gatehouse.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Raw settings as lower-case dashed keys ({@code http.port}), merged from a properties file, then
 * {@code GATEHOUSE_…} environment variables, then explicit overrides (command-line flags, tests).
 * The environment name of a key is {@code GATEHOUSE_} + the key upper-cased with {@code .} and
 * {@code -} turned into {@code _}: {@code http.port} → {@code GATEHOUSE_HTTP_PORT}.
 */
public final class Settings {
    static final String ENV_PREFIX = "GATEHOUSE_";
    /** Read by the launcher and the CLI as a client, not settings of a node. */
    static final java.util.Set<String> CLIENT_VARIABLES = java.util.Set.of("GATEHOUSE_CONFIG", "GATEHOUSE_URL",
            "GATEHOUSE_ADMIN_KEY", "GATEHOUSE_DEMO_UPSTREAM_PORT", "GATEHOUSE_KEY", "GATEHOUSE_NO_BUILD");

    private final Map<String, String> values;
    private final Map<String, String> sources;

    private Settings(Map<String, String> values, Map<String, String> sources) {
        this.values = Map.copyOf(values);
        this.sources = Map.copyOf(sources);
    }

    public static Settings of(Map<String, String> values) {
        Map<String, String> sources = new TreeMap<>();
        values.keySet().forEach(k -> sources.put(k, k));
        return new Settings(values, sources);
    }

    /**
     * Loads settings: the file (if any), then the environment, then the overrides.
     *
     * @param file      a properties file, or empty for none
     * @param env       the environment (System.getenv() in production)
     * @param overrides settings that win over everything else
     */
    public static Settings load(Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        file.ifPresent(path -> {
            Properties props = new Properties();
            try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
            }
            props.stringPropertyNames().forEach(k -> {
                values.put(k.trim(), props.getProperty(k).trim());
                sources.put(k.trim(), k.trim() + " in " + path);
            });
        });
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && !CLIENT_VARIABLES.contains(name)) {
                String key = GatehouseConfig.keyForEnv(name);
                values.put(key, value.trim());
                sources.put(key, name);
            }
        });
        overrides.forEach((k, v) -> {
            values.put(k, v);
            sources.put(k, k);
        });
        return new Settings(values, sources);
    }

    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key)).filter(v -> !v.isEmpty());
    }

    Map<String, String> all() {
        return values;
    }

    /** How a setting was given, for error messages: the env name, or the key and file. */
    String describe(String key) {
        return sources.getOrDefault(key, key + " (" + envName(key) + ")");
    }
}
