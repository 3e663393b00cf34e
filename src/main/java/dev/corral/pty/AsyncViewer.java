package dev.corral.pty;

/**
 * A viewer that never blocks, for output that goes out through a non-blocking channel such as a WebSocket's send
 * queue. Attach it with {@link Terminal#attach(long, AsyncViewer)}.
 *
 * <p>It is handed one event at a time, in the order described by {@link TerminalEvent}, often on the thread that reads
 * the PTY, so {@link #onEvent} must return at once. It gets the next event only after it has called {@code next}: from
 * any thread, possibly before {@code onEvent} returns. A viewer that has not called {@code next} while output went on
 * is skipped forward when it does, as a blocking {@link Viewer} would be. To stop (a send failed, the peer left), close
 * the {@link Subscription}; if {@link #onEvent} throws, the subscription ends.
 */
@FunctionalInterface
public interface AsyncViewer {

    void onEvent(TerminalEvent event, Runnable next) throws Exception;
}
