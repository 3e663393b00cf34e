package dev.corral.acp;

/**
 * Observes the health of a {@link JsonRpcConnection}. Callbacks run on the connection's reader or dispatcher
 * thread, or on the thread whose write failed: they must be fast and must not throw (a thrown exception is
 * logged and ignored).
 */
public interface ConnectionListener {

    /** A bad line was skipped or repaired; reading continues. */
    default void onProblem(StreamProblem problem) {}

    /**
     * The connection is closed, for the reason given; called once, after every pending call has failed
     * and after every message received before the end has been dispatched.
     */
    default void onClosed(ConnectionClosedException reason) {}

    ConnectionListener NONE = new ConnectionListener() {};
}
