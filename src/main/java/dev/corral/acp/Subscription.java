package dev.corral.acp;

/** A live feed of one session's events; see {@link EventLog#subscribe}. Thread-safe. */
public interface Subscription extends AutoCloseable {

    /** The seq of the last event handed to the listener (the {@code afterSeq} given, before any). */
    long lastDeliveredSeq();

    /** False once closed or failed. */
    boolean isOpen();

    /** Stops delivery; an event being delivered finishes first. Idempotent, never blocks on the listener. */
    @Override
    void close();
}
