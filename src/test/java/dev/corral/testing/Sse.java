package dev.corral.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Writes server-sent events, flushing each one so the client sees a real stream. */
final class Sse {

    static final ObjectMapper JSON = new ObjectMapper();

    private final OutputStream out;

    Sse(OutputStream out) {
        this.out = out;
    }

    static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    /** An event with an {@code event:} name (Anthropic, OpenAI Responses). */
    void event(String name, Object data) {
        write("event: " + name + "\ndata: " + json(data) + "\n\n");
    }

    /** A data-only event (OpenAI chat completions, Gemini). */
    void data(Object data) {
        write("data: " + (data instanceof String s ? s : json(data)) + "\n\n");
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private void write(String s) {
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
