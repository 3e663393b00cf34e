package dev.corral.acp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscriber: a bounded queue the log's writer fills without ever waiting, drained by this subscription's
 * own virtual thread. Delivery is driven by seq alone: an event at or below the last delivered seq is skipped
 * (it came both from the database and live), and a hole in front of it (the queue overflowed and was emptied)
 * is filled by reading the database from the last delivered seq. So no event is lost or delivered twice,
 * whatever the interleaving of appends, the initial replay and overflows.
 */
final class LiveSubscription implements Subscription {

    /** Reads committed events after a seq, in order, at most limit of them. */
    interface Reader {
        List<Event> read(long afterSeq, int limit);

        /** Called after each catch-up: the reader may let go of its connection until the next one. */
        default void close() {}
    }

    private static final Logger log = LoggerFactory.getLogger(LiveSubscription.class);
    private static final int PAGE = 1000;

    private final String sessionId;
    private final EventListener listener;
    private final Reader reader;
    private final int capacity;
    private final Consumer<LiveSubscription> onEnd;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Event> queue = new ArrayDeque<>();
    private boolean overflowed;
    private boolean closed;
    private volatile long lastDelivered;
    private volatile int overflows;

    LiveSubscription(String sessionId, long afterSeq, EventListener listener, Reader reader, int capacity,
            Consumer<LiveSubscription> onEnd) {
        this.sessionId = sessionId;
        this.lastDelivered = afterSeq;
        this.listener = listener;
        this.reader = reader;
        this.capacity = capacity;
        this.onEnd = onEnd;
    }

    String sessionId() {
        return sessionId;
    }

    void start() {
        Thread.ofVirtual().name("events-" + sessionId).start(this::run);
    }

    /**
     * Called by the writer after commit with consecutive events of this session, in seq order. Never blocks for more
     * than a short lock. If they do not fit, the queue is emptied and the subscriber reads the database instead.
     */
    void offer(List<Event> events) {
        lock.lock();
        try {
            if (closed || overflowed) {
                return; // after an overflow the database is the source until the subscriber catches up
            }
            if (queue.size() + events.size() > capacity) {
                overflowed = true;
                overflows++;
                queue.clear();
            } else {
                queue.addAll(events);
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long lastDeliveredSeq() {
        return lastDelivered;
    }

    /** How many times the queue overflowed and the subscriber fell back to the database. */
    int overflows() {
        return overflows;
    }

    @Override
    public boolean isOpen() {
        lock.lock();
        try {
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        Throwable failure = null;
        try {
            catchUp();
            while (true) {
                List<Event> batch;
                boolean fellBehind;
                lock.lock();
                try {
                    while (queue.isEmpty() && !overflowed && !closed) {
                        changed.await();
                    }
                    if (closed) {
                        return;
                    }
                    fellBehind = overflowed;
                    overflowed = false;
                    batch = new ArrayList<>(queue);
                    queue.clear();
                } finally {
                    lock.unlock();
                }
                if (fellBehind) {
                    catchUp();
                }
                if (!deliverLive(batch)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
            log.warn("event subscription of session {} failed after seq {}", sessionId, lastDelivered, t);
        } finally {
            close();
            onEnd.accept(this);
            try {
                listener.onEnd(failure);
            } catch (RuntimeException e) {
                log.warn("event listener of session {} threw in onEnd", sessionId, e);
            }
        }
    }

    /**
     * Delivers what the writer queued, in runs of consecutive seqs: events already delivered (from the database)
     * are skipped, and a hole in front of one (the queue overflowed and was emptied) is filled from the database.
     */
    private boolean deliverLive(List<Event> batch) {
        int n = batch.size();
        int i = 0;
        while (i < n) {
            while (i < n && batch.get(i).seq() <= lastDelivered) {
                i++;
            }
            if (i == n) {
                break;
            }
            if (batch.get(i).seq() > lastDelivered + 1) {
                catchUp();
                if (!isOpen()) {
                    return false;
                }
                if (batch.get(i).seq() > lastDelivered + 1) {
                    i++; // not in the database either: cannot happen for a committed event
                }
                continue;
            }
            int j = i + 1;
            while (j < n && batch.get(j).seq() == batch.get(j - 1).seq() + 1) {
                j++;
            }
            if (!deliver(batch.subList(i, j))) {
                return false;
            }
            i = j;
        }
        return true;
    }

    /** Delivers everything committed after the last delivered seq. */
    private void catchUp() {
        try {
            while (isOpen()) {
                List<Event> page = reader.read(lastDelivered, PAGE);
                if (!page.isEmpty() && !deliver(page)) {
                    return;
                }
                if (page.size() < PAGE) {
                    return;
                }
            }
        } finally {
            reader.close();
        }
    }

    /** Hands consecutive events, the first one right after the last delivered, to the listener. */
    private boolean deliver(List<Event> events) {
        if (!isOpen()) {
            return false;
        }
        listener.onEvents(events);
        lastDelivered = events.get(events.size() - 1).seq();
        return true;
    }
}
