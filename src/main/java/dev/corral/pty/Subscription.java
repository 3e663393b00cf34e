package dev.corral.pty;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One viewer attached to a {@link Terminal}, from {@link Terminal#attach(long, Viewer)} until {@link #close()}, the
 * viewer throwing, or the terminal's {@link TerminalEvent.Exit} having been delivered.
 *
 * <p>The viewer has no queue of its own: its virtual thread pulls from the terminal's ring buffer at its own pace,
 * so a slow viewer costs no memory and never holds up the PTY reader or other viewers. Its backlog is the distance
 * from its position to the ring's end; past the lag budget it is moved to the live end with a new
 * {@link TerminalEvent.Replay}, and bytes the ring dropped before the viewer read them show up the same way.
 *
 * <p>Thread-safe; {@link #close()} is idempotent and does not wait for the viewer.
 */
public final class Subscription implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    private static final int CHUNK = 64 * 1024;

    private final Terminal terminal;
    private final Viewer viewer;
    private final int lagBudget;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile Thread thread;

    Subscription(Terminal terminal, Viewer viewer, int lagBudget) {
        this.terminal = terminal;
        this.viewer = viewer;
        this.lagBudget = lagBudget;
    }

    /** Starts the viewer's thread; the first event it sends is a replay of what is kept since {@code offset}. */
    void start(long offset) {
        Thread.ofVirtual().name("terminal-" + terminal.id() + "-viewer").start(() -> run(offset));
    }

    /** Called by the terminal whenever there is new output or the process has exited. Never blocks. */
    void wake() {
        var t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Stops delivering events. The viewer may still be inside one call of {@link Viewer#onEvent} when this returns. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        var t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
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

    private void run(long offset) {
        // Set before the first look at the ring, so no wake() after that look can be missed.
        thread = Thread.currentThread();
        var ring = terminal.ring();
        try {
            long pos = Math.min(Math.max(offset, ring.oldest()), ring.end());
            long replayEnd = ring.end();
            viewer.onEvent(new TerminalEvent.Replay(pos, replayEnd));
            while (!closed) {
                // Read the exit code before the end: the reader records it only after its last append.
                Integer exit = terminal.exitCodeOrNull();
                long end = ring.end();
                if (end - Math.max(pos, replayEnd) > lagBudget) {
                    pos = end;
                    replayEnd = end;
                    viewer.onEvent(new TerminalEvent.Replay(pos, end));
                } else if (pos < end) {
                    var slice = ring.read(pos, CHUNK);
                    if (slice.start() > pos) {
                        viewer.onEvent(new TerminalEvent.Replay(slice.start(), end));
                    }
                    viewer.onEvent(new TerminalEvent.Output(slice.start(), slice.bytes()));
                    pos = slice.end();
                } else if (exit != null) {
                    viewer.onEvent(new TerminalEvent.Exit(exit));
                    break;
                } else {
                    LockSupport.park(this);
                    Thread.interrupted(); // close() interrupts to unblock the viewer; the loop re-checks `closed`
                }
            }
        } catch (InterruptedException e) {
            // closed while the viewer was blocked
        } catch (Exception e) {
            if (!closed) {
                log.debug("viewer of terminal {} failed; detaching it", terminal.id(), e);
            }
        } finally {
            closed = true;
            terminal.detach(this);
            done.complete(null);
        }
    }
}
