package dev.corral.acp;

/**
 * Receives the agent's notifications, known and unknown, strictly in arrival order, on the connection's
 * single dispatcher thread. Responses to our calls and requests from the agent are dispatched on the same
 * thread in the same order, so everything a listener saw before a call completes arrived before its answer.
 *
 * <p>Must not block for long, and must never wait for a call on the same connection (that would deadlock
 * the dispatcher). Exceptions are logged and ignored.
 */
@FunctionalInterface
public interface NotificationListener {
    void onNotification(JsonRpcMessage.Notification notification);
}
