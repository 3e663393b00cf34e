package dev.corral.pty;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One viewer attached to a {@link Terminal}, from {@link Terminal#attach} until {@link #close()}, the viewer failing,
 * or the terminal's {@link TerminalEvent.Exit} having been taken.
 *
 * <p>The viewer has no queue of its own: it is handed the next slice of the terminal's ring buffer whenever it is
 * ready for one and output has been published, so a slow viewer costs no memory and never holds up the PTY reader or
 * other viewers. Its backlog is the distance from its position to the published end; past the lag budget it is moved
 * to the live end with a new {@link TerminalEvent.Replay}, and bytes the ring dropped before the viewer read them show
 * up the same way.
 *
 * <p>Events are handed over by whichever thread finds the viewer ready and something to send: the PTY reader (right
 * after publishing output), the thread on which an {@link AsyncViewer} says it is ready again, or the attaching thread.
 * A blocking {@link Viewer} is called on a virtual thread of its own. One thread at a time hands over events, one
 * event at a time.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and does not wait for the viewer.
 */
public final class Subscription implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    private static final int CHUNK = 64 * 1024;

    private final Terminal terminal;
    private final AsyncViewer viewer;
    private final int lagBudget;
    private final long offset;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Requests to hand over events; whoever raises it from zero does so for all (see {@link #pump()}). */
    private final AtomicInteger pumps = new AtomicInteger();
    private final Runnable next = this::next;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean closed;
    /** An event the viewer has not yet said it is done with. */
    private volatile boolean inFlight;
    /** For a blocking viewer: the virtual thread that calls it (interrupted by {@link #close()}), and its mailbox. */
    private final Thread viewerThread;
    private final AtomicReference<TerminalEvent> mailbox;

    // Touched only inside pump()'s loop, which one thread at a time runs.
    private boolean started;
    private boolean exitHanded;
    private long pos;
    private long replayEnd;

    private Subscription(Terminal terminal, AsyncViewer async, Viewer blocking, long offset, int lagBudget) {
        this.terminal = terminal;
        this.offset = offset;
        this.lagBudget = lagBudget;
        if (blocking == null) {
            this.viewer = async;
            this.viewerThread = null;
            this.mailbox = null;
        } else {
            this.mailbox = new AtomicReference<>();
            this.viewerThread = Thread.ofVirtual().name("terminal-" + terminal.id() + "-viewer")
                    .unstarted(() -> deliver(blocking));
            this.viewer = (event, next) -> {
                mailbox.set(event);
                LockSupport.unpark(viewerThread);
            };
            this.inFlight = true; // until the thread runs (see deliver)
        }
    }

    static Subscription of(Terminal terminal, AsyncViewer viewer, long offset, int lagBudget) {
        return new Subscription(terminal, viewer, null, offset, lagBudget);
    }

    /**
     * A blocking viewer, called on a virtual thread of its own, so it may take as long as it likes. The thread takes
     * each event from a one-slot mailbox; when it says it is done, the next event, if due, is put there at once, so a
     * viewer that keeps up runs without a thread hand-off per event.
     */
    static Subscription of(Terminal terminal, Viewer viewer, long offset, int lagBudget) {
        return new Subscription(terminal, null, viewer, offset, lagBudget);
    }

    private void deliver(Viewer blocking) {
        // Ready only now that the thread runs: the first event, the replay, is worked out from what is kept by then,
        // so output while the thread was starting counts as replayed, not as lag.
        next();
        while (!closed) {
            var event = mailbox.getAndSet(null);
            if (event == null) {
                LockSupport.park(this);
                Thread.interrupted(); // close() interrupts to unblock the viewer; the loop re-checks `closed`
                continue;
            }
            try {
                blocking.onEvent(event);
            } catch (InterruptedException e) {
                return; // closed while the viewer was blocked
            } catch (Exception e) {
                failed(e);
                return;
            }
            next(); // may put the next event in the mailbox right away
        }
    }

    /** Starts delivering, once the terminal knows this subscription (so that ending at once detaches it for good). */
    void start() {
        if (viewerThread != null) {
            viewerThread.start();
        } else {
            pump();
        }
    }

    /**
     * Hands the viewer what it is due, if it is ready: called whenever there may be something new (output
     * published, the process gone) and when the viewer is ready again. Never blocks.
     */
    void pump() {
        if (pumps.getAndIncrement() != 0) {
            return; // the thread inside the loop below will look again
        }
        int missed = 1;
        do {
            try {
                while (!closed && !inFlight && handOne()) {
                    // an event went and the viewer is ready again at once: look for the next
                }
            } catch (Exception e) {
                failed(e);
            }
            missed = pumps.addAndGet(-missed);
        } while (missed != 0);
    }

    /** Hands over one event if there is one due; false if there was none (or the subscription has ended). */
    private boolean handOne() throws Exception {
        var ring = terminal.ring();
        // Read the exit code before the end: the reader publishes the last output before it records the exit.
        Integer exit = terminal.exitCodeOrNull();
        // Up to the published end, not the ring's: while output flows the reader gathers it before publishing, so
        // viewers send a few large frames rather than one per read. (Never below the oldest byte kept: with a tiny
        // ring, one read can lap it before the reader publishes.)
        long end = Math.max(terminal.publishedEnd(), ring.oldest());
        TerminalEvent event;
        if (!started) {
            started = true;
            pos = Math.min(Math.max(offset, ring.oldest()), end);
            replayEnd = end;
            event = new TerminalEvent.Replay(pos, replayEnd);
        } else if (exitHanded) {
            finish(); // the viewer is done with the exit
            return false;
        } else if (end - Math.max(pos, replayEnd) > lagBudget) {
            pos = end;
            replayEnd = end;
            event = new TerminalEvent.Replay(pos, end);
        } else if (pos < end) {
            var slice = ring.read(pos, (int) Math.min(CHUNK, end - pos));
            if (slice.start() > pos) {
                pos = slice.start(); // the ring dropped what this viewer had not read yet
                event = new TerminalEvent.Replay(pos, end);
            } else {
                pos = slice.end();
                event = new TerminalEvent.Output(slice.start(), slice.bytes());
            }
        } else if (exit != null) {
            exitHanded = true;
            event = new TerminalEvent.Exit(exit);
        } else {
            return false;
        }
        inFlight = true;
        viewer.onEvent(event, next);
        return true;
    }

    private void next() {
        inFlight = false;
        pump();
    }

    private void failed(Exception e) {
        if (!closed) {
            log.debug("viewer of terminal {} failed; detaching it", terminal.id(), e);
        }
        finish();
    }

    /** Stops delivering events. The viewer may still be inside one call of {@link Viewer#onEvent} when this returns. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        var t = viewerThread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
        finish();
    }

    private void finish() {
        closed = true;
        if (finished.compareAndSet(false, true)) {
            terminal.detach(this); // before onEnd completes: whoever waits on it sees the viewer gone
            done.complete(null);
        }
    }

    /** True until the subscription has ended for any reason. */
    public boolean isActive() {
        return !done.isDone();
    }

    /** Completes when the viewer will get no more events. */
    public CompletableFuture<Void> onEnd() {
        return done;
    }
}
