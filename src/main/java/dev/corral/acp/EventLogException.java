package dev.corral.acp;

import dev.corral.CorralException;

/** The event log could not store or read events (database failure), or it is closed. */
public class EventLogException extends CorralException {
    public EventLogException(String message, Throwable cause) {
        super(Kind.UNAVAILABLE, "event_log_unavailable", message, cause);
    }
}
