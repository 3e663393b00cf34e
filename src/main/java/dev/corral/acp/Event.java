package dev.corral.acp;

import java.time.Instant;

/**
 * One durable entry of a session's transcript.
 *
 * @param seq gap-free per session, starting at 1
 * @param at when it was committed (ISO-8601 in JSON: {@link Instant#toString()})
 * @param data the raw JSON text as appended, never re-serialised
 */
public record Event(String sessionId, long seq, Instant at, EventType type, String data) {}
