package dev.corral.store;

import dev.corral.CorralException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded SQLite database ({@code corral.db}, WAL mode), migrated with Flyway on open.
 * {@link #inTransaction} runs work on one shared connection, serialised: SQLite has one writer anyway, and reusing the
 * connection keeps small statements cheap. Components with their own write path use {@link #dataSource()}.
 */
public final class Database implements AutoCloseable {

    /** Work done with a connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final SQLiteDataSource dataSource;
    private final Connection shared;
    private final ReentrantLock lock = new ReentrantLock();

    private Database(SQLiteDataSource dataSource, Connection shared) {
        this.dataSource = dataSource;
        this.shared = shared;
    }

    /** Opens (creating if needed) and migrates the database at {@code file}. */
    public static Database open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            var config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
            config.setBusyTimeout(10_000);
            config.enforceForeignKeys(true);
            var ds = new SQLiteDataSource(config);
            ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            return new Database(ds, ds.getConnection());
        } catch (Exception e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "database_error",
                    "cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Runs {@code work} in a transaction on the shared connection; SQL errors become {@link CorralException}. */
    public <T> T inTransaction(Work<T> work) {
        lock.lock();
        try {
            shared.setAutoCommit(false);
            try {
                T result = work.run(shared);
                shared.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                shared.rollback();
                throw e;
            } finally {
                shared.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new CorralException(CorralException.Kind.INTERNAL, "database_error", "database error: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        try {
            shared.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }
}
