package io.gatehouse.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.config.ConfigException;
import io.gatehouse.config.GatehouseConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * The database: a connection pool, migrations applied at start, and JDBI over it. SQLite is the
 * embedded default (WAL, foreign keys on, a busy timeout so writers queue instead of failing);
 * PostgreSQL is the production engine. The same migrations run on both.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    public enum Engine { SQLITE, POSTGRES }

    private final GatehouseConfig.Database config;
    private final Engine engine;
    private final HikariDataSource pool;
    private final Jdbi jdbi;

    private Database(GatehouseConfig.Database config, Engine engine, HikariDataSource pool) {
        this.config = config;
        this.engine = engine;
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
    }

    /** Opens the pool and applies pending migrations. */
    public static Database open(GatehouseConfig.Database config) {
        Engine engine = config.isPostgres() ? Engine.POSTGRES : Engine.SQLITE;
        if (engine == Engine.SQLITE) {
            createParentDirectory(config.url());
        }
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("gatehouse-db");
        hikari.setJdbcUrl(config.url());
        config.user().ifPresent(hikari::setUsername);
        config.password().ifPresent(hikari::setPassword);
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setConnectionTimeout(5_000);
        sqliteProperties().forEach((k, v) -> {
            if (engine == Engine.SQLITE) {
                hikari.addDataSourceProperty((String) k, v);
            }
        });
        HikariDataSource pool = new HikariDataSource(hikari);
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new Database(config, engine, pool);
    }

    private static Properties sqliteProperties() {
        Properties p = new Properties();
        p.setProperty("journal_mode", "WAL");
        p.setProperty("foreign_keys", "true");
        p.setProperty("busy_timeout", "10000");
        p.setProperty("synchronous", "NORMAL");
        // A statement that writes several rows inside a transaction keeps a statement journal, in a
        // temporary file unless told otherwise: opened, written and deleted per statement.
        p.setProperty("temp_store", "MEMORY");
        // A transaction that reads then writes must take the write lock up front: a deferred one
        // fails at once with SQLITE_BUSY (busy_timeout cannot help) when another connection writes.
        p.setProperty("transaction_mode", "IMMEDIATE");
        return p;
    }

    private static void createParentDirectory(String url) {
        String file = url.substring("jdbc:sqlite:".length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) {
            return;
        }
        Path db = Path.of(file).toAbsolutePath();
        Path parent = db.getParent();
        // Said here with the path and the reason: SQLite itself would only say SQLITE_CANTOPEN.
        if (Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new ConfigException("data-dir: " + parent + " is a file, not a directory");
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new ConfigException("data-dir: cannot create " + parent + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        if (!Files.isWritable(parent) || (Files.exists(db) && !Files.isWritable(db))) {
            throw new ConfigException("data-dir: " + (Files.exists(db) && !Files.isWritable(db) ? db : parent)
                    + " is not writable by this user; SQLite writes the database and its journal there");
        }
    }

    public Engine engine() {
        return engine;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * Runs {@code callback} in a transaction. On SQLite, one at a time in this process: SQLite has one
     * writer, and a transaction that finds the write lock taken sleeps and polls (busy_timeout) rather
     * than queueing, so under load most of the time went to sleeping. A fair lock queues them instead;
     * another process on the same file (the command line) still meets busy_timeout.
     */
    public <R, X extends Exception> R inTransaction(HandleCallback<R, X> callback) throws X {
        // The lock before the connection: transactions waiting their turn hold none of the pool's.
        return queued(() -> jdbi.inTransaction(callback));
    }

    /** The same on {@code handle} (one of {@link #openDedicated}), queued with every other on SQLite. */
    <R, X extends Exception> R inTransaction(Handle handle, HandleCallback<R, X> callback) throws X {
        return queued(() -> handle.inTransaction(callback));
    }

    private interface Work<R, X extends Exception> {
        R run() throws X;
    }

    private <R, X extends Exception> R queued(Work<R, X> work) throws X {
        if (engine != Engine.SQLITE) {
            return work.run();
        }
        writer.lock();
        try {
            return work.run();
        } finally {
            writer.unlock();
        }
    }

    /**
     * A handle on a connection of its own, outside the pool, for one thread that writes all the time
     * ({@link GroupCommit}): on SQLite a connection's page cache survives only its own writes, so a
     * writer that kept taking another pooled connection would read its indexes back each time.
     */
    Handle openDedicated() {
        try {
            Properties props = new Properties();
            if (engine == Engine.SQLITE) {
                props.putAll(sqliteProperties());
                // Its indexes stay in memory (64 MiB): a writer that inserts random keys touches pages
                // all over them. Its checkpoints run on another thread (see checkpoints()).
                props.setProperty("cache_size", "-65536");
                props.setProperty("wal_autocheckpoint", "0");
            }
            Connection connection = connect(props);
            if (engine == Engine.SQLITE) {
                checkpoints();
            }
            Handle handle = Jdbi.create(connection).open();
            handle.addCleanable(connection::close);
            return handle;
        } catch (SQLException e) {
            throw new ConnectionException(e);
        }
    }

    private final java.util.concurrent.locks.ReentrantLock writer = new java.util.concurrent.locks.ReentrantLock(true);

    public <R, X extends Exception> R withHandle(HandleCallback<R, X> callback) throws X {
        return jdbi.withHandle(callback);
    }

    private ScheduledExecutorService checkpointer;

    /**
     * Copies the write-ahead log into the database every second, on a thread of its own: a dedicated
     * writer does not (its {@code wal_autocheckpoint} is off), so that its commits never wait for a
     * checkpoint's writes and fsync. PASSIVE: it never blocks a reader or a writer, and whatever it
     * cannot copy yet it copies next time.
     */
    private synchronized void checkpoints() {
        if (checkpointer != null) {
            return;
        }
        checkpointer = Executors.newSingleThreadScheduledExecutor(r ->
                Thread.ofPlatform().daemon().name("gatehouse-sqlite-checkpoint").unstarted(r));
        checkpointer.scheduleWithFixedDelay(() -> {
            try {
                jdbi.useHandle(h -> h.execute("PRAGMA wal_checkpoint(PASSIVE)"));
            } catch (RuntimeException e) {
                LOG.warning("could not checkpoint the SQLite log; will retry: " + e.getMessage());
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** A connection outside the pool, for a long-lived listener. */
    Connection dedicatedConnection() throws SQLException {
        return connect(new Properties());
    }

    /** A connection outside the pool, with {@code props} and the configured credentials. */
    private Connection connect(Properties props) throws SQLException {
        config.user().ifPresent(u -> props.setProperty("user", u));
        config.password().ifPresent(p -> props.setProperty("password", p));
        return DriverManager.getConnection(config.url(), props);
    }

    /** True when a trivial query answers within two seconds. */
    public boolean reachable() {
        try (Handle h = jdbi.open()) {
            return h.createQuery("SELECT 1").mapTo(Integer.class).one() == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A description safe to print: the URL without credentials. */
    public String describe() {
        String url = config.url();
        int at = url.indexOf('?');
        return (engine == Engine.SQLITE ? "SQLite " : "PostgreSQL ") + (at >= 0 ? url.substring(0, at) : url);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (checkpointer != null) {
                checkpointer.shutdownNow();
            }
        }
        pool.close();
    }
}
