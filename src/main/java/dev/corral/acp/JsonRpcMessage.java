package dev.corral.acp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Optional;

/**
 * One inbound JSON-RPC 2.0 message from an agent. Every variant carries {@link #raw()}: the exact text of the
 * line as received (after UTF-8 decoding), so a gateway can pass unknown and extension messages on verbatim
 * instead of re-serialising the parsed tree. The parsed {@code JsonNode}s are for routing and inspection;
 * callers must not mutate them.
 */
public sealed interface JsonRpcMessage {

    /** The exact JSON text of the message, without the newline. */
    String raw();

    /**
     * A request from the agent to us (a client method such as {@code session/request_permission}).
     *
     * @param id the agent's own id, numeric or string, echoed back unchanged in the answer
     * @param params the params, or a {@code MissingNode} if absent
     */
    record Request(JsonNode id, String method, JsonNode params, String raw) implements JsonRpcMessage {
        /** The exact text of {@code params}, or empty if absent. */
        public Optional<String> rawParams() {
            return RawJson.member(raw, "params");
        }
    }

    /**
     * A notification from the agent ({@code session/update}, {@code $/cancel_request}, extensions). The connection
     * finds its params without building a tree ({@link RawJson#notification}): a flood of {@code session/update}s
     * only needs their text. {@link #params()} parses them on first use.
     */
    final class Notification implements JsonRpcMessage {
        private final String method;
        private final String raw;
        private final Optional<String> rawParams;
        private volatile JsonNode params;

        /** A notification whose params are already parsed ({@code null}: parsed from {@code raw} when asked for). */
        public Notification(String method, JsonNode params, String raw) {
            this(method, params, raw, RawJson.member(raw, "params"));
        }

        Notification(String method, JsonNode params, String raw, Optional<String> rawParams) {
            this.method = method;
            this.params = params;
            this.raw = raw;
            this.rawParams = rawParams;
        }

        public String method() {
            return method;
        }

        /** The params, or a {@code MissingNode} if absent. */
        public JsonNode params() {
            JsonNode p = params;
            if (p == null) {
                try {
                    p = rawParams.isEmpty() ? MissingNode.getInstance() : JsonRpcConnection.JSON.readTree(rawParams.get());
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException("params of a parsed notification are not JSON", e);
                }
                params = p;
            }
            return p;
        }

        @Override
        public String raw() {
            return raw;
        }

        /** The exact text of {@code params} (for a {@code session_update} event's data), or empty if absent. */
        public Optional<String> rawParams() {
            return rawParams;
        }

        @Override
        public String toString() {
            return "Notification[" + raw + "]";
        }
    }

    /**
     * The agent's answer to one of our requests. Exactly one of {@code result} and {@code error} is non-null.
     *
     * @param id our id, as the agent echoed it
     */
    record Response(JsonNode id, JsonNode result, JsonNode error, String raw) implements JsonRpcMessage {
        public boolean isError() {
            return error != null;
        }

        /** The exact text of {@code result}, or empty for an error. */
        public Optional<String> rawResult() {
            return isError() ? Optional.empty() : RawJson.member(raw, "result");
        }
    }
}
