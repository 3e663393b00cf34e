package dev.corral.acp;

/**
 * Handles one client method the agent may call ({@code session/request_permission}, {@code fs/read_text_file},
 * {@code terminal/create}, ...). Runs on the connection's dispatcher thread, in arrival order with
 * notifications, so it must return quickly; it may answer at once or later from any thread through the
 * {@link Responder}. A handler that throws answers the agent with an internal error (-32603).
 */
@FunctionalInterface
public interface RequestHandler {
    void onRequest(JsonRpcMessage.Request request, Responder responder);
}
