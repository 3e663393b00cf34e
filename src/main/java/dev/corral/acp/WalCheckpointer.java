package dev.corral.acp;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the event log's write-ahead log back into the database file on a thread and connection of its own.
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold (1000 pages), fsyncs included: every
 * few hundred small commits one of them took 10-150 ms on the test VM, and every event behind it waited. The writer
 * turns that off for its connection and calls {@link #committed} instead; this thread then runs a PASSIVE checkpoint,
 * which never blocks the writer (nor readers).
 *
 * <p>A passive checkpoint copies only what was committed when it began, and the WAL file starts over only after a
 * checkpoint caught up with the writer. Under a long flood it may never catch up, so {@link #mustCheckpointInline}
 * tells the writer when the WAL has grown past a hard limit: the writer then checkpoints once itself, as SQLite would.
 */
final class WalCheckpointer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);

    /** Commits, or bytes of event data, after which a checkpoint is started (about what fills 1000 WAL pages). */
    static final int COMMITS_PER_CHECKPOINT = 250;
    static final long BYTES_PER_CHECKPOINT = 1 << 20;
    /** WAL frames (pages) after which the writer checkpoints itself: about 80 MB. */
    static final long MAX_WAL_FRAMES = 20_000;

    private final DataSource dataSource;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Thread thread;
    private boolean requested;
    private boolean closed;
    // writer thread only
    private int commits;
    private long bytes;
    private volatile long walFrames;
    private volatile long checkpoints;

    WalCheckpointer(DataSource dataSource) {
        this.dataSource = dataSource;
        this.thread = Thread.ofPlatform().name("event-log-checkpoint").daemon().start(this::run);
    }

    /** Called by the writer after each commit of {@code dataBytes} of event data. Never blocks for long. */
    void committed(long dataBytes) {
        commits++;
        bytes += dataBytes;
        if (commits >= COMMITS_PER_CHECKPOINT || bytes >= BYTES_PER_CHECKPOINT) {
            commits = 0;
            bytes = 0;
            lock.lock();
            try {
                requested = true;
                wake.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /** True if the WAL outgrew {@link #MAX_WAL_FRAMES} at the last checkpoint; the writer then runs one itself. */
    boolean mustCheckpointInline() {
        return walFrames > MAX_WAL_FRAMES;
    }

    /** Runs a checkpoint on the writer's own connection (see {@link #mustCheckpointInline}). */
    void checkpointInline(Connection writer) throws SQLException {
        walFrames = checkpoint(writer);
    }

    /** Checkpoints run so far by this thread; for tests and metrics. */
    long checkpoints() {
        return checkpoints;
    }

    private void run() {
        try (Connection c = dataSource.getConnection()) {
            while (true) {
                lock.lock();
                try {
                    while (!requested && !closed) {
                        wake.await();
                    }
                    if (closed) {
                        return;
                    }
                    requested = false;
                } finally {
                    lock.unlock();
                }
                try {
                    walFrames = checkpoint(c);
                    checkpoints++;
                } catch (SQLException e) {
                    log.warn("event log checkpoint failed (the WAL grows until one succeeds): {}", e.getMessage());
                }
            }
        } catch (SQLException e) {
            log.error("event log checkpoints stopped: cannot open a connection: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a passive checkpoint; returns how many frames the WAL held. */
    private static long checkpoint(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            return rs.next() ? rs.getLong(2) : 0;
        }
    }

    /** Stops the thread after the checkpoint in progress, if any. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            wake.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
