package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The CLI's client of {@code WS /api/v1/sessions/{sid}/ws}: frames arrive in a queue, commands go out as text. */
final class EventSocket implements WebSocket.Listener, AutoCloseable {
    /** Put in the queue when the socket closes or fails. */
    static final JsonNode CLOSED = ApiClient.JSON.createObjectNode().put("closed", true);

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static EventSocket open(ApiClient api, String sessionId, long after) {
        var s = new EventSocket();
        String url = api.base().replaceFirst("^http", "ws") + "/api/v1/sessions/" + sessionId + "/ws?after=" + after;
        var b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (api.token() != null) b.header("Authorization", "Bearer " + api.token());
        try {
            s.socket = b.buildAsync(URI.create(url), s).get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new CliException("cannot open the event stream of " + sessionId + ": " + e.getMessage());
        }
        return s;
    }

    /** The next frame (an event has a {@code seq}, a reply a {@code reply}), or {@link #CLOSED}. */
    JsonNode next() throws InterruptedException {
        return frames.take();
    }

    void send(JsonNode command) {
        socket.sendText(command.toString(), true).join();
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                frames.add(ApiClient.JSON.readTree(partial.toString()));
            } catch (Exception e) {
                frames.add(CLOSED);
            }
            partial.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        frames.add(CLOSED);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        frames.add(CLOSED);
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            socket.abort();
        }
    }
}
