package dev.corral.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * The daemon's own recent log entries, kept in memory (a bounded window) for retrieval and live streaming. Installed as a
 * Logback appender on the root logger. Entries get increasing ids, so clients page with {@code before=id}. Thread-safe;
 * listeners are called on the logging thread and must be fast and never throw.
 */
public final class LogBuffer extends AppenderBase<ILoggingEvent> {

    /** One log entry. */
    public record Entry(long id, Instant at, String level, String logger, String thread, String message) {}

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();
    private final List<Consumer<Entry>> listeners = new CopyOnWriteArrayList<>();
    private long nextId = 1;

    public LogBuffer(int capacity) {
        this.capacity = capacity;
    }

    /** Attaches a buffer to the root logger and starts it. */
    public static LogBuffer install(int capacity) {
        var buffer = new LogBuffer(capacity);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            buffer.setContext(context);
            buffer.setName("corral-log-buffer");
            buffer.start();
            context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(buffer);
        }
        return buffer;
    }

    @Override
    protected void append(ILoggingEvent e) {
        String message = e.getFormattedMessage();
        if (e.getThrowableProxy() != null) message += " (" + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage() + ")";
        synchronized (entries) {
            var entry = new Entry(nextId++, Instant.ofEpochMilli(e.getTimeStamp()), e.getLevel().toString(), e.getLoggerName(),
                    e.getThreadName(), message);
            entries.addLast(entry);
            if (entries.size() > capacity) entries.removeFirst();
            // Inside the lock, so every listener sees entries in id order.
            for (Consumer<Entry> l : listeners) {
                try {
                    l.accept(entry);
                } catch (RuntimeException ignored) {
                    // a listener must not break logging
                }
            }
        }
    }

    /**
     * Entries at {@code minLevel} or above with an id below {@code before} (0: no bound), newest first, at most
     * {@code limit}.
     */
    public List<Entry> page(String minLevel, long before, int limit) {
        Level min = parseLevel(minLevel);
        var out = new ArrayList<Entry>();
        synchronized (entries) {
            var it = entries.descendingIterator();
            while (it.hasNext() && out.size() < limit) {
                Entry e = it.next();
                if (before > 0 && e.id() >= before) continue;
                if (Level.toLevel(e.level()).isGreaterOrEqual(min)) out.add(e);
            }
        }
        return out;
    }

    /** The newest {@code n} entries at {@code minLevel} or above, oldest first. */
    public List<Entry> recent(String minLevel, int n) {
        var recent = page(minLevel, 0, n);
        java.util.Collections.reverse(recent);
        return recent;
    }

    /**
     * Calls {@code listener} (under the buffer's lock, in id order: it must only hand the entry off) with every new
     * entry at {@code minLevel} or above; returns what removes it. An entry appended just before a caller reads
     * {@link #recent} may reach it both ways: callers skip ids they have sent.
     */
    public Runnable feed(String minLevel, Consumer<Entry> listener) {
        Level min = parseLevel(minLevel);
        Consumer<Entry> wrapped = e -> {
            if (Level.toLevel(e.level()).isGreaterOrEqual(min)) listener.accept(e);
        };
        listeners.add(wrapped);
        return () -> listeners.remove(wrapped);
    }

    /** Validates a level name (TRACE, DEBUG, INFO, WARN, ERROR; case-insensitive); null means TRACE. */
    public static Level parseLevel(String level) {
        if (level == null || level.isBlank()) return Level.TRACE;
        String l = level.toUpperCase(Locale.ROOT);
        if (!List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(l)) {
            throw dev.corral.CorralException.badRequest("invalid_level", "level must be TRACE, DEBUG, INFO, WARN or ERROR");
        }
        return Level.toLevel(l);
    }
}
