package dev.corral.acp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/** The {@link Responder} of one agent request on a {@link JsonRpcConnection}: at most one answer is written. */
final class LineResponder implements Responder {

    private final JsonRpcConnection connection;
    private final JsonNode id;
    private final AtomicBoolean done = new AtomicBoolean();

    LineResponder(JsonRpcConnection connection, JsonNode id) {
        this.connection = connection;
        this.id = id;
    }

    @Override
    public boolean respond(JsonNode result) {
        ObjectNode msg = JsonRpcConnection.envelope();
        msg.set("id", id);
        msg.set("result", result == null ? NullNode.getInstance() : result);
        return done.compareAndSet(false, true) && connection.write(msg);
    }

    @Override
    public boolean respondRaw(String resultJson) {
        try {
            JsonRpcConnection.JSON.readTree(resultJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("result is not one JSON value: " + e.getOriginalMessage(), e);
        }
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        String line;
        try {
            // Line breaks can only sit between tokens (inside strings they are escaped), so spaces are equivalent.
            line = "{\"jsonrpc\":\"2.0\",\"id\":" + JsonRpcConnection.JSON.writeValueAsString(id) + ",\"result\":"
                    + resultJson.replace('\n', ' ').replace('\r', ' ') + "}";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return connection.writeLine(line.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean fail(int code, String message, JsonNode data) {
        ObjectNode msg = JsonRpcConnection.envelope();
        msg.set("id", id);
        ObjectNode error = msg.putObject("error");
        error.put("code", code);
        error.put("message", message);
        if (data != null) {
            error.set("data", data);
        }
        return done.compareAndSet(false, true) && connection.write(msg);
    }

    @Override
    public boolean isDone() {
        return done.get() || connection.isClosed();
    }
}
