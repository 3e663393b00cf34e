package dev.corral.acp;

/** The kinds of transcript entries, with the names used in the API and the database. */
public enum EventType {
    /** A prompt a user sent; data holds its text and deliveryId. */
    USER_PROMPT("user_prompt"),
    /** The ACP {@code session/update} params, verbatim, unknown and extension update kinds included. */
    SESSION_UPDATE("session_update"),
    /** The ACP {@code session/request_permission} params plus {@code requestId}. */
    PERMISSION_REQUEST("permission_request"),
    PERMISSION_RESPONSE("permission_response"),
    /** {@code {"stopReason": ...}} */
    TURN_END("turn_end"),
    /** {@code starting|ready|crashed|restarting|stopped} */
    AGENT_STATE("agent_state"),
    ERROR("error"),
    /**
     * An agent terminal's command ended ({@code terminal/create}): {@code terminalId}, {@code command}, {@code args},
     * {@code cwd}, its kept {@code output}, {@code truncated} and {@code exitStatus}.
     */
    TERMINAL_EXIT("terminal_exit");

    private final String wireName;

    EventType(String wireName) {
        this.wireName = wireName;
    }

    /** The name in JSON and in the {@code events.type} column. */
    public String wireName() {
        return wireName;
    }

    /** @throws IllegalArgumentException for a name that is not one of {@link #wireName()} */
    public static EventType fromWireName(String name) {
        for (EventType t : values()) {
            if (t.wireName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown event type: " + name);
    }
}
