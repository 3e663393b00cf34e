package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The agent answered a call with a JSON-RPC error object. {@link #response()} holds the whole answer,
 * raw text included, so the error can be shown or forwarded as the agent sent it.
 */
public class JsonRpcErrorException extends AcpException {
    private final JsonRpcMessage.Response response;

    public JsonRpcErrorException(String method, JsonRpcMessage.Response response) {
        super(Kind.UNAVAILABLE, "agent_error",
                "agent answered " + method + " with error " + response.error().path("code").asText("?") + ": "
                        + response.error().path("message").asText(""),
                null);
        this.response = response;
    }

    /** The JSON-RPC error code, e.g. -32601 (method not found); 0 if the agent sent none. */
    public int errorCode() {
        return response.error().path("code").asInt(0);
    }

    public JsonRpcMessage.Response response() {
        return response;
    }
}
