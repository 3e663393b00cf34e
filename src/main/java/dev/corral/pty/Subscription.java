package dev.corral.pty;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * A blocking {@link Viewer} gets each event on a virtual thread of its own. One thread at a time hands over events,
 * one event at a time.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and does not wait for the viewer.
 */
public final class Subscription implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    private static final int CHUNK = 64 * 1024;

    private final Terminal terminal;
    private final AsyncViewer viewer;
    private final int lagBudget;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Requests to hand over events; whoever raises it from zero does so for all (see {@link #pump()}). */
    private final AtomicInteger pumps = new AtomicInteger();
    private final Runnable next = this::next;
    private volatile boolean closed;
    /** An event the viewer has not yet said it is done with. */
    private volatile boolean inFlight;
    /** For a blocking viewer: the virtual thread delivering the current event, interrupted by {@link #close()}. */
    private final AtomicReference<Thread> delivering = new AtomicReference<>();

    // Touched only inside pump()'s loop, which one thread at a time runs.
    private boolean started;
    private boolean exitHanded;
    private long pos;
    private long replayEnd;
    private final long offset;

    private Subscription(Terminal terminal, AsyncViewer viewer, long offset, int lagBudget) {
        this.terminal = terminal;
        this.viewer = viewer;
        this.offset = offset;
        this.lagBudget = lagBudget;
    }

    static Subscription of(Terminal terminal, AsyncViewer viewer, long offset, int lagBudget) {
        return new Subscription(terminal, viewer, offset, lagBudget);
    }

    /** A blocking viewer, called on a virtual thread per event, so it may take as long as it likes. */
    static Subscription of(Terminal terminal, Viewer viewer, long offset, int lagBudget) {
        var holder = new Subscription[1];
        holder[0] = new Subscription(terminal, (event, next) -> holder[0].deliver(viewer, event, next), offset,
                lagBudget);
        return holder[0];
    }

    private void deliver(Viewer blocking, TerminalEvent event, Runnable next) {
        Thread.ofVirtual().name("terminal-" + terminal.id() + "-viewer").start(() -> {
            var me = Thread.currentThread();
            delivering.set(me);
            try {
                if (closed) return;
                blocking.onEvent(event);
            } catch (InterruptedException e) {
                return; // closed while the viewer was blocked
            } catch (Exception e) {
                failed(e);
                return;
            } finally {
                delivering.compareAndSet(me, null);
            }
            next.run();
        });
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
        // viewers send a few large frames rather than one per read.
        long end = terminal.publishedEnd();
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
        var t = delivering.get();
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
        finish();
    }

    private void finish() {
        closed = true;
        if (done.complete(null)) {
            terminal.detach(this);
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
