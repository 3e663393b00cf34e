package dev.corral.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.CorralException;
import dev.corral.acp.Event;
import dev.corral.acp.EventListener;
import dev.corral.acp.SessionHost;
import dev.corral.acp.Subscription;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsErrorContext;
import io.javalin.websocket.WsMessageContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.websocket.api.BatchMode;
import org.eclipse.jetty.websocket.api.RemoteEndpoint;
import org.eclipse.jetty.websocket.api.WriteCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WS /api/v1/sessions/{sid}/ws?after=SEQ}: the session's events after SEQ (default 0), then live ones, each once
 * and in order, as text frames {@code {"seq","at","type","data"}}. A slow socket delays only itself.
 *
 * <p>Client to server (text frames): {@code {"type":"prompt","text","deliveryId"?}}, {@code {"type":"cancel"}},
 * {@code {"type":"permission","requestId","optionId"}} (or {@code "outcome":"cancelled"}). Each is answered with a
 * frame {@code {"reply":"prompt","deliveryId"}}, {@code {"reply":"ok"}}, or {@code {"reply":"error","error","code"}};
 * replies have no {@code seq}, events always do. Close codes: 4404 unknown session, 4400 bad {@code after}.
 */
final class SessionEventSocket implements Consumer<WsConfig> {
    private static final Logger log = LoggerFactory.getLogger(SessionEventSocket.class);

    private final SessionHost sessions;
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();

    SessionEventSocket(SessionHost sessions) {
        this.sessions = sessions;
    }

    @Override
    public void accept(WsConfig ws) {
        ws.onConnect(this::connect);
        ws.onMessage(this::message);
        ws.onClose(this::closed);
        ws.onError(this::failed);
    }

    private void connect(WsConnectContext ctx) {
        String sid = ctx.pathParam("sid");
        long after;
        try {
            String a = ctx.queryParam("after");
            after = a == null || a.isEmpty() ? 0 : Long.parseLong(a);
            if (after < 0) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            close(ctx, 4400, "after must be a whole number >= 0");
            return;
        }
        ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
        // Only the asynchronous sends below are batched (Jetty's blocking sends, used for replies and pings, never
        // are): they gather in Jetty's output buffer, and the flush after each run of events writes them out.
        ctx.session.getRemote().setBatchMode(BatchMode.ON);
        try {
            Subscription sub = sessions.subscribe(sid, after, new EventListener() {
                @Override
                public void onEvent(Event event) {
                    onEvents(List.of(event));
                }

                @Override
                public void onEvents(List<Event> events) {
                    sendAll(ctx, events);
                }

                @Override
                public void onEnd(Throwable cause) {
                    if (cause != null) log.debug("event stream of {} ended: {}", sid, cause.toString());
                }
            });
            subscriptions.put(ctx.sessionId(), sub);
        } catch (CorralException e) {
            close(ctx, e.kind() == CorralException.Kind.NOT_FOUND ? 4404 : 4000 + ErrorMapping.status(e.kind()), e.getMessage());
        }
    }

    private void message(WsMessageContext ctx) {
        String sid = ctx.pathParam("sid");
        ObjectNode reply = Json.MAPPER.createObjectNode();
        try {
            JsonNode msg = Json.MAPPER.readTree(ctx.message());
            switch (msg.path("type").asText()) {
                case "prompt" -> {
                    var d = sessions.prompt(sid, msg.path("text").asText(null), msg.path("deliveryId").asText(null));
                    reply.put("reply", "prompt").put("deliveryId", d.deliveryId());
                }
                case "cancel" -> {
                    sessions.cancel(sid);
                    reply.put("reply", "ok");
                }
                case "permission" -> {
                    boolean cancelled = "cancelled".equals(msg.path("outcome").asText());
                    sessions.answerPermission(sid, msg.path("requestId").asText(), cancelled ? null : msg.path("optionId").asText(null));
                    reply.put("reply", "ok");
                }
                default -> throw CorralException.badRequest("unknown_type", "type must be prompt, cancel or permission");
            }
        } catch (CorralException e) {
            reply.put("reply", "error").put("error", e.getMessage()).put("code", e.code());
        } catch (Exception e) {
            reply.put("reply", "error").put("error", "not a valid message: " + e.getMessage()).put("code", "bad_message");
        }
        send(ctx, reply.toString());
    }

    private void closed(WsCloseContext ctx) {
        Subscription sub = subscriptions.remove(ctx.sessionId());
        if (sub != null) sub.close();
    }

    private void failed(WsErrorContext ctx) {
        log.debug("session socket {} failed", ctx.sessionId(), ctx.error());
        Subscription sub = subscriptions.remove(ctx.sessionId());
        if (sub != null) sub.close();
    }

    /** Events (subscription thread) and replies (socket thread) must not write at the same time. */
    private static void send(WsContext ctx, String text) {
        synchronized (ctx.session) {
            ctx.send(text);
        }
    }

    /**
     * One text frame per event, all queued at once and then flushed together (a few large writes instead of one
     * per event). Returns when they are written, so a slow socket holds up only its own subscription.
     *
     * @throws UncheckedIOException if the socket failed; that ends the subscription
     */
    private static void sendAll(WsContext ctx, List<Event> events) {
        var failure = new AtomicReference<Throwable>();
        WriteCallback callback = new WriteCallback() {
            @Override
            public void writeFailed(Throwable x) {
                failure.compareAndSet(null, x);
            }
        };
        synchronized (ctx.session) {
            RemoteEndpoint remote = ctx.session.getRemote();
            for (Event e : events) {
                remote.sendString(EventJson.one(e), callback);
            }
            try {
                remote.flush();
            } catch (IOException e) {
                failure.compareAndSet(null, e);
            }
        }
        Throwable x = failure.get();
        if (x != null) {
            throw new UncheckedIOException("cannot send events to the socket: " + x, x instanceof IOException io ? io : new IOException(x));
        }
    }

    private static void close(WsContext ctx, int code, String reason) {
        try {
            ctx.closeSession(code, reason.length() > 120 ? reason.substring(0, 120) : reason);
        } catch (RuntimeException e) {
            log.debug("cannot close session socket {}", ctx.sessionId(), e);
        }
    }
}
