package dev.corral.acp;

/**
 * The agent's stdout ended (the process exited or crashed), writing to its stdin failed (broken pipe), or the
 * connection was closed by us. Every call still pending at that moment fails with this exception, and every
 * later call fails with it at once.
 */
public class ConnectionClosedException extends AcpException {
    public ConnectionClosedException(String message, Throwable cause) {
        super(Kind.UNAVAILABLE, "agent_disconnected", message, cause);
    }
}
