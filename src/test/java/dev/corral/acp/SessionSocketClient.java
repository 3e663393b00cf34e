package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (java.net.http) of the session event stream; keeps every text frame parsed. */
final class SessionSocketClient implements WebSocket.Listener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final java.util.Queue<JsonNode> frames = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** Completes with System.nanoTime() when the first turn_end event arrives. */
    final CompletableFuture<Long> turnEnded = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static SessionSocketClient connect(String url) throws Exception {
        var c = new SessionSocketClient();
        c.socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url), c).get(10, TimeUnit.SECONDS);
        return c;
    }

    /** Events only (frames with a seq). */
    List<JsonNode> events() {
        return frames.stream().filter(f -> f.has("seq")).toList();
    }

    /** Replies to commands (frames without a seq). */
    List<JsonNode> replies() {
        return frames.stream().filter(f -> f.has("reply")).toList();
    }

    void send(String json) {
        socket.sendText(json, true).join();
    }

    @Override
    public synchronized CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                JsonNode frame = JSON.readTree(partial.toString());
                frames.add(frame);
                if ("turn_end".equals(frame.path("type").asText())) turnEnded.complete(System.nanoTime());
            } catch (Exception e) {
                throw new IllegalStateException("not JSON: " + partial, e);
            }
            partial.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        closed.complete(code);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.completeExceptionally(error);
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            socket.abort();
        }
    }
}
