package dev.corral.acp;

import java.util.List;

/**
 * Receives a session's events from {@link EventLog#subscribe}, in seq order, each exactly once, on the
 * subscription's own virtual thread. It may be slow (a remote viewer): that delays only this subscription.
 * If it throws, the subscription ends.
 */
@FunctionalInterface
public interface EventListener {

    void onEvent(Event event);

    /**
     * Several events at once: consecutive seqs, in order, never empty; everything that was ready when the
     * subscription woke up (a replay page, or the events committed since the last delivery). The default hands
     * them to {@link #onEvent} one by one; a listener that writes to a socket can send them all and flush once.
     * The list is the subscription's: read it during the call, do not keep it.
     */
    default void onEvents(List<Event> events) {
        for (Event e : events) {
            onEvent(e);
        }
    }

    /**
     * The subscription ended: closed by its owner or the log ({@code cause} null), or failed ({@code cause}
     * is the listener's exception or a database error). Called once, on the subscription's thread.
     */
    default void onEnd(Throwable cause) {}
}
