package dev.corral.api;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (java.net.http) that records what the terminal socket sends. */
public final class TerminalSocketClient implements WebSocket.Listener, AutoCloseable {

    public record Closed(int code, String reason) {}

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final List<String> texts = new ArrayList<>();
    private final StringBuilder partialText = new StringBuilder();
    public final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final boolean stalled;
    private volatile boolean resumed;
    private WebSocket socket;

    private TerminalSocketClient(boolean stalled) {
        this.stalled = stalled;
    }

    public static TerminalSocketClient connect(String url) throws Exception {
        return connect(url, false);
    }

    /** A client that, if {@code stalled}, reads one frame and then nothing until {@link #resume()}. */
    public static TerminalSocketClient connect(String url, boolean stalled) throws Exception {
        var client = new TerminalSocketClient(stalled);
        client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(url), client)
                .get(10, TimeUnit.SECONDS);
        return client;
    }

    @Override
    public synchronized CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partialText.append(data);
        if (last) {
            texts.add(partialText.toString());
            partialText.setLength(0);
        }
        more(ws);
        return null;
    }

    @Override
    public synchronized CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        var bytes = new byte[data.remaining()];
        data.get(bytes);
        output.writeBytes(bytes);
        more(ws);
        return null;
    }

    private void more(WebSocket ws) {
        if (!stalled || resumed) {
            ws.request(1);
        }
    }

    public void resume() {
        resumed = true;
        socket.request(Long.MAX_VALUE);
    }

    public synchronized int byteCount() {
        return output.size();
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        closed.complete(new Closed(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.completeExceptionally(error);
    }

    public synchronized String text() {
        return output.toString(StandardCharsets.UTF_8);
    }

    public synchronized byte[] bytes() {
        return output.toByteArray();
    }

    public synchronized List<String> texts() {
        return List.copyOf(texts);
    }

    public void send(String input) {
        sendBinary(input.getBytes(StandardCharsets.UTF_8));
    }

    public void sendBinary(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    public void sendText(String text) {
        socket.sendText(text, true).join();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
    }
}
