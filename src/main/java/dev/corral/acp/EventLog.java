package dev.corral.acp;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable, gap-free, per-session numbered transcript of agent sessions, in the {@code events} table
 * (migration {@code V2__sessions_and_events.sql}).
 *
 * <p><b>Writes.</b> One platform thread owns one connection and is the only writer of {@code events}: it takes
 * every append waiting in its queue, numbers them, inserts them in one transaction and commits (group commit),
 * then wakes the callers. {@link #append} returns only after that commit, so an event is durable before any
 * subscriber sees it. The connection uses WAL with {@code synchronous=NORMAL}: a commit survives a crash of
 * the daemon; a power loss may take the last commits since the WAL was last synced. Only one {@code EventLog}
 * may write a database at a time (it keeps the last seq of each session in memory).
 *
 * <p><b>Reads and subscriptions</b> use fresh connections from the {@link DataSource} and never block appends.
 * Thread-safe. {@link #close()} commits what was appended before it and ends every subscription.
 */
public final class EventLog implements AutoCloseable {

    /**
     * Tuning knobs; {@link #DEFAULTS} suit a daemon.
     *
     * @param maxBatch most appends in one commit
     * @param maxQueued appends waiting for the writer before {@link #appendAsync} blocks
     * @param subscriberQueue committed events a subscriber may have waiting before it falls back to reading the
     *     database; several commits' worth, so that a viewer keeping up with a flood overall never needs to
     */
    public record Options(int maxBatch, int maxQueued, int subscriberQueue) {
        public static final Options DEFAULTS = new Options(4096, 65_536, 16_384);
    }

    private static final Logger log = LoggerFactory.getLogger(EventLog.class);
    private static final Append STOP = new Append(null, null, null, null);

    /**
     * Rows per JDBC batch. The driver clears its whole parameter array, which only grows, after every batch: one
     * batch of a few thousand rows would make every later commit pay for clearing tens of thousands of slots.
     */
    private static final int ROWS_PER_JDBC_BATCH = 64;

    private static final int LINGER_THRESHOLD = 16;
    private static final long LINGER_NANOS = 200_000;
    /** See the burst rule in {@link #writeLoop}. */
    /** Events a second (recent average) from which a 100 us sleep can be expected to gather more. */
    private static final double BURST_MIN_RATE = 10_000;
    private static final int BURST_BATCH = 256;
    private static final long BURST_STEP_NANOS = 100_000;
    private static final long BURST_MAX_LINGER_NANOS = 2_000_000;

    private record Append(String sessionId, EventType type, String data, CompletableFuture<Event> done) {}

    private final DataSource dataSource;
    private final Options options;
    private final LinkedBlockingQueue<Append> queue;
    private final Map<String, CopyOnWriteArrayList<LiveSubscription>> subscribers = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSeqs = new HashMap<>(); // writer thread only
    private int arrivedDuringCommit; // writer thread only
    private double recentRate; // events per second, moving average over commits; writer thread only
    private long lastCommitEnd = System.nanoTime(); // writer thread only
    private final Connection writer;
    private final PreparedStatement insert;
    private final PreparedStatement maxSeq;
    private final Thread writerThread;
    private final WalCheckpointer checkpointer;
    private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private volatile long commits;
    private volatile long committedEvents;
    private volatile long commitNanos;

    /** Opens the log on a migrated database; see the class documentation for the connection settings it makes. */
    public EventLog(DataSource dataSource) {
        this(dataSource, Options.DEFAULTS);
    }

    public EventLog(DataSource dataSource, Options options) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.options = options;
        this.queue = new LinkedBlockingQueue<>(options.maxQueued());
        try {
            writer = dataSource.getConnection();
            try (Statement st = writer.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=10000");
                st.execute("PRAGMA wal_autocheckpoint=0"); // the checkpointer's thread does it, see WalCheckpointer
            }
            writer.setAutoCommit(false);
            insert = writer.prepareStatement("INSERT INTO events (session_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)");
            maxSeq = writer.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?");
        } catch (SQLException e) {
            throw new EventLogException("cannot open the event log: " + e.getMessage(), e);
        }
        checkpointer = new WalCheckpointer(dataSource);
        writerThread = Thread.ofPlatform().name("event-log-writer").daemon().start(this::runWriter);
    }

    /**
     * Appends one event and blocks until it is committed. A single thread appending this way gets one commit
     * per event (about 8,000 a second on a 2-core VM); a producer of many events, such as a session's ACP
     * dispatcher, should use {@link #appendAsync} and wait only where it must (e.g. before a turn end).
     * Subscribers see an event only once it is committed either way.
     *
     * @param data JSON text, stored and delivered exactly as given (not validated here)
     * @return the event with its seq and time
     * @throws EventLogException if the log is closed or the database failed (the event was not stored)
     */
    public Event append(String sessionId, EventType type, String data) {
        try {
            return appendAsync(sessionId, type, data).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventLogException("interrupted while appending (the event may still be stored)", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof EventLogException ele ? ele
                    : new EventLogException("append failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Queues one event; the future completes after its commit, or fails with {@link EventLogException}.
     * Events appended by one thread get increasing seqs in call order. Blocks only while
     * {@link Options#maxQueued()} appends are already waiting.
     */
    public CompletableFuture<Event> appendAsync(String sessionId, EventType type, String data) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        var done = new CompletableFuture<Event>();
        // The read lock keeps close() from slipping its stop marker in between the check and the put.
        closing.readLock().lock();
        try {
            if (closed) {
                done.completeExceptionally(new EventLogException("the event log is closed", null));
                return done;
            }
            queue.put(new Append(sessionId, type, data, done));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.completeExceptionally(new EventLogException("interrupted while appending", e));
        } finally {
            closing.readLock().unlock();
        }
        return done;
    }

    /**
     * Committed events of a session with seq greater than {@code afterSeq}, in order, at most {@code limit}.
     *
     * @throws EventLogException if the database failed
     */
    public List<Event> read(String sessionId, long afterSeq, int limit) {
        try (var reader = new PageReader(sessionId)) {
            return reader.read(afterSeq, limit);
        }
    }

    /**
     * Reads pages of one session's events on one connection, opened at the first read and kept until
     * {@link #close()}: a subscriber catching up reads many pages in a row.
     */
    private final class PageReader implements LiveSubscription.Reader, AutoCloseable {
        private final String sessionId;
        private Connection connection;
        private PreparedStatement select;

        PageReader(String sessionId) {
            this.sessionId = sessionId;
        }

        @Override
        public List<Event> read(long afterSeq, int limit) {
            try {
                if (connection == null) {
                    connection = dataSource.getConnection();
                    select = connection.prepareStatement(
                            "SELECT seq, at, type, data FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?");
                }
                select.setString(1, sessionId);
                select.setLong(2, afterSeq);
                select.setInt(3, limit);
                var events = new ArrayList<Event>(Math.min(limit, 1024));
                String atText = null;
                Instant at = null;
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        String t = rs.getString(2);
                        if (!t.equals(atText)) { // the events of one commit share their time
                            atText = t;
                            at = Instant.parse(t);
                        }
                        events.add(new Event(sessionId, rs.getLong(1), at, EventType.fromWireName(rs.getString(3)),
                                rs.getString(4)));
                    }
                }
                return events;
            } catch (SQLException e) {
                close();
                throw new EventLogException("cannot read events of session " + sessionId + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException e) {
                    log.debug("closing a read connection failed", e);
                }
                connection = null;
                select = null;
            }
        }
    }

    /** The highest committed seq of a session, 0 if it has none. */
    public long lastSeq(String sessionId) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM events WHERE session_id = ?")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new EventLogException("cannot read events of session " + sessionId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Delivers the session's events after {@code afterSeq} (the replay), then each new one as it is committed,
     * to {@code listener} on a thread of the subscription's own. Every event is delivered exactly once and in
     * seq order, even when appends race this call. A slow listener delays only itself: when its queue
     * overflows it goes back to reading the database from its last delivered seq.
     */
    public Subscription subscribe(String sessionId, long afterSeq, EventListener listener) {
        Objects.requireNonNull(listener, "listener");
        var sub = new LiveSubscription(sessionId, afterSeq, listener, new PageReader(sessionId),
                options.subscriberQueue(), this::unsubscribe);
        // Registered before the replay starts, so every event is in the replay, in the queue, or both.
        subscribers.computeIfAbsent(sessionId, k -> new CopyOnWriteArrayList<>()).add(sub);
        if (closed) {
            sub.close();
        }
        sub.start();
        return sub;
    }

    private void unsubscribe(LiveSubscription sub) {
        subscribers.computeIfPresent(sub.sessionId(), (k, list) -> {
            list.remove(sub);
            return list.isEmpty() ? null : list;
        });
    }

    /** Commits everything appended before this call, then stops the writer and every subscription. Idempotent. */
    @Override
    public void close() {
        closing.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            queue.put(STOP);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            closing.writeLock().unlock();
        }
        try {
            writerThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        subscribers.values().forEach(list -> list.forEach(LiveSubscription::close));
        checkpointer.close();
        try {
            writer.close();
        } catch (SQLException e) {
            log.warn("closing the event log connection failed", e);
        }
    }

    /** Commits made and events in them since this log was opened, and the time spent in SQLite; for metrics. */
    public record Stats(long commits, long events, long sqliteNanos) {}

    public Stats stats() {
        return new Stats(commits, committedEvents, commitNanos);
    }

    // ---- the writer thread ----

    private void runWriter() {
        try {
            writeLoop();
        } catch (Throwable t) {
            // Not expected (database errors fail only their batch), but appenders must not wait forever.
            log.error("event log writer died; the log is closed", t);
            closed = true;
            var left = new ArrayList<Append>();
            queue.drainTo(left);
            var failure = new EventLogException("the event log writer failed: " + t, t);
            left.stream().filter(a -> a != STOP).forEach(a -> a.done().completeExceptionally(failure));
        }
    }

    private void writeLoop() {
        var batch = new ArrayList<Append>(options.maxBatch());
        boolean stop = false;
        int previous = 0;
        while (!stop) {
            try {
                batch.add(queue.take());
                queue.drainTo(batch, options.maxBatch() - 1);
                // Many appenders waiting on the last commit come back within microseconds; a short wait for
                // them makes one large commit instead of many small ones. A lone appender never waits.
                if (previous >= LINGER_THRESHOLD && batch.size() < previous / 2) {
                    Append next = queue.poll(LINGER_NANOS, TimeUnit.NANOSECONDS);
                    if (next != null) {
                        batch.add(next);
                        queue.drainTo(batch, options.maxBatch() - batch.size());
                    }
                } else if (arrivedDuringCommit > 0 && recentRate >= BURST_MIN_RATE) {
                    lingerForBurst(batch);
                }
            } catch (InterruptedException e) {
                if (batch.isEmpty()) {
                    continue; // only close() stops the writer
                }
            }
            previous = batch.size();
            int stopAt = batch.indexOf(STOP);
            if (stopAt >= 0) {
                stop = true;
                batch.subList(stopAt, batch.size()).clear();
            }
            if (!batch.isEmpty()) {
                writeBatch(batch);
            }
            batch.clear();
        }
    }

    /**
     * A producer that does not wait for its appends (an agent flooding updates) kept appending while the last commit
     * ran, at a recent rate of over 10,000 events a second: a burst. A commit costs ~50 us plus ~3 us an event, so
     * a burst committed as it trickles in (a few events each time) costs several times what it costs in one piece.
     * Sleep in short steps (not waiting on the queue, which would wake the writer for every event) while the burst
     * keeps coming, up to 2 ms. Events that come one at a time (a paced stream), and appenders that wait for their
     * commit, never linger here.
     */
    private void lingerForBurst(List<Append> batch) {
        long deadline = System.nanoTime() + BURST_MAX_LINGER_NANOS;
        int quietSteps = 0;
        while (batch.size() < BURST_BATCH && System.nanoTime() < deadline) {
            int before = batch.size();
            LockSupport.parkNanos(BURST_STEP_NANOS);
            queue.drainTo(batch, options.maxBatch() - batch.size());
            if (batch.size() > before) {
                quietSteps = 0;
            } else if (++quietSteps == 2) {
                return; // the burst is over
            }
        }
    }

    private void writeBatch(List<Append> batch) {
        Instant instant = Instant.now();
        String at = instant.toString();
        var events = new ArrayList<Event>(batch.size());
        try {
            for (Append a : batch) {
                long seq = nextSeq(a.sessionId());
                insert.setString(1, a.sessionId());
                insert.setLong(2, seq);
                insert.setString(3, at);
                insert.setString(4, a.type().wireName());
                insert.setString(5, a.data());
                insert.addBatch();
                events.add(new Event(a.sessionId(), seq, instant, a.type(), a.data()));
                if (events.size() % ROWS_PER_JDBC_BATCH == 0) {
                    insert.executeBatch();
                }
            }
            long t0 = System.nanoTime();
            if (events.size() % ROWS_PER_JDBC_BATCH != 0) {
                insert.executeBatch();
            }
            writer.commit();
            arrivedDuringCommit = queue.size(); // before anyone waiting for this commit can append again
            long now = System.nanoTime();
            recentRate = 0.8 * recentRate + 0.2 * (batch.size() * 1e9 / Math.max(1_000, now - lastCommitEnd));
            lastCommitEnd = now;
            commitNanos += System.nanoTime() - t0;
            commits++;
            committedEvents += batch.size();
            long bytes = 0;
            for (Append a : batch) {
                bytes += a.data().length() + 64;
            }
            checkpointer.committed(bytes);
        } catch (SQLException | RuntimeException e) {
            rollback(batch);
            var failure = new EventLogException("cannot store events: " + e.getMessage(), e);
            batch.forEach(a -> a.done().completeExceptionally(failure));
            return;
        }
        // Subscribers get each session's run of events in one offer (one lock, one wake-up).
        for (int i = 0, j; i < events.size(); i = j) {
            String sessionId = events.get(i).sessionId();
            for (j = i + 1; j < events.size() && events.get(j).sessionId().equals(sessionId); j++) {
                // the run of this session
            }
            var subs = subscribers.get(sessionId);
            if (subs != null) {
                List<Event> run = events.subList(i, j);
                subs.forEach(s -> s.offer(run));
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).done().complete(events.get(i));
        }
        if (checkpointer.mustCheckpointInline()) {
            try {
                checkpointer.checkpointInline(writer);
            } catch (SQLException e) {
                log.warn("event log checkpoint failed: {}", e.getMessage());
            }
        }
    }

    private long nextSeq(String sessionId) throws SQLException {
        Long last = lastSeqs.get(sessionId);
        if (last == null) {
            maxSeq.setString(1, sessionId);
            try (ResultSet rs = maxSeq.executeQuery()) {
                rs.next();
                last = rs.getLong(1);
            }
        }
        lastSeqs.put(sessionId, last + 1);
        return last + 1;
    }

    private void rollback(List<Append> batch) {
        try {
            insert.clearBatch();
            writer.rollback();
        } catch (SQLException e) {
            log.error("event log rollback failed", e);
        }
        // The numbers handed out in the failed transaction were not used; read them again from the table.
        batch.forEach(a -> lastSeqs.remove(a.sessionId()));
    }
}
