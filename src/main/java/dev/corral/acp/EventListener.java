package dev.corral.acp;

/**
 * Receives a session's events from {@link EventLog#subscribe}, one at a time, in seq order, each exactly once,
 * on the subscription's own virtual thread. It may be slow (a remote viewer): that delays only this
 * subscription. If it throws, the subscription ends.
 */
@FunctionalInterface
public interface EventListener {

    void onEvent(Event event);

    /**
     * The subscription ended: closed by its owner or the log ({@code cause} null), or failed ({@code cause}
     * is the listener's exception or a database error). Called once, on the subscription's thread.
     */
    default void onEnd(Throwable cause) {}
}
