package dev.corral.acp;

/**
 * Receives the agent's notifications, known and unknown, strictly in arrival order and one at a time: on the
 * connection's dispatcher thread, or on its reader thread when the dispatcher has nothing queued (see
 * {@link JsonRpcConnection}). Responses to our calls and requests from the agent are dispatched in the same
 * order, never at the same time, so everything a listener saw before a call completes arrived before its answer.
 *
 * <p>Must not block for long (that stops reading the agent), and must never wait for a call on the same
 * connection (that would deadlock). Exceptions are logged and ignored.
 */
@FunctionalInterface
public interface NotificationListener {
    void onNotification(JsonRpcMessage.Notification notification);
}
