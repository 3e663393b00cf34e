package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Answers one request the agent made. Thread-safe; may be used from any thread, now or later. Only the first
 * answer is sent; the others return {@code false}, as does any answer after the connection closed.
 */
public interface Responder {

    /** Answers with a result (any JSON value; {@code null} becomes JSON {@code null}). */
    boolean respond(JsonNode result);

    /**
     * Answers with a result given as JSON text, which is sent as given (for results passed through from an
     * editor); only line breaks between tokens become spaces. The text is checked to be one JSON value.
     *
     * @throws IllegalArgumentException if {@code resultJson} is not one JSON value
     */
    boolean respondRaw(String resultJson);

    /** Answers with a JSON-RPC error; {@code data} may be null. */
    boolean fail(int code, String message, JsonNode data);

    /** True once an answer was sent (or the connection closed, so none can be). */
    boolean isDone();
}
