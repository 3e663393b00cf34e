package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of one terminal's WebSocket (SPEC §4) that survives network drops: it counts the output bytes it has
 * handed on and, when the connection breaks, reconnects with {@code ?offset=} that count, so no output is lost or
 * repeated (unless the daemon's ring no longer holds it, which {@link Sink#gap} reports).
 *
 * <p>Thread-safe: {@link #send}, {@link #resize} and {@link #close} may be called from any thread. {@link Sink}
 * callbacks come from one thread at a time, in stream order.
 */
final class TerminalClient implements AutoCloseable {

    /** Where the terminal's output goes. */
    interface Sink {
        void output(byte[] bytes) throws IOException;

        /** Bytes {@code [from, to)} are gone: the ring dropped them before this client read them. */
        void gap(long from, long to);

        /** The connection broke; the client is reconnecting (called once per outage). */
        void reconnecting(String why);
    }

    /** How the session ended. */
    sealed interface End {
        record Exited(int code) implements End {}

        record Closed() implements End {}

        record Failed(String message) implements End {}
    }

    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(2);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String url;
    private final String token;
    private final Sink sink;
    private final CompletableFuture<End> end = new CompletableFuture<>();
    private final Object sendLock = new Object();
    private volatile WebSocket socket;
    private volatile Listener current;
    private volatile long offset;
    private volatile int[] lastSize;

    /** @param url the terminal's WebSocket URL without query ({@code ws://host:port/api/v1/workspaces/ID/terminals/TID}) */
    TerminalClient(String url, String token, long offset, Sink sink) {
        this.url = url;
        this.token = token;
        this.offset = offset;
        this.sink = sink;
    }

    /** Connects; throws {@link CliException} if the first connection fails. */
    TerminalClient start() {
        try {
            current = connect();
            socket = current.ws;
        } catch (Exception e) {
            throw new CliException("cannot attach to " + url + ": " + describe(e));
        }
        Thread.ofPlatform().daemon().name("attach-watch").start(this::watch);
        return this;
    }

    /** Completes when the terminal exits, the daemon refuses the socket for good, or {@link #close()}. */
    CompletableFuture<End> onEnd() {
        return end;
    }

    /** Offset just past the last output byte handed to the sink. */
    long offset() {
        return offset;
    }

    /** Sends keyboard input; dropped while reconnecting (the user sees no echo and types again). */
    void send(byte[] bytes) {
        sendFrame(ws -> ws.sendBinary(ByteBuffer.wrap(bytes), true));
    }

    void resize(int cols, int rows) {
        lastSize = new int[] {cols, rows};
        sendFrame(ws -> ws.sendText("{\"type\":\"resize\",\"cols\":" + cols + ",\"rows\":" + rows + "}", true));
    }

    private void sendFrame(java.util.function.Function<WebSocket, CompletableFuture<WebSocket>> frame) {
        synchronized (sendLock) {
            var ws = socket;
            if (ws == null || ws.isOutputClosed()) return;
            try {
                frame.apply(ws).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                ws.abort(); // the watcher reconnects
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        end.complete(new End.Closed());
        var ws = socket;
        if (ws != null) ws.abort();
    }

    private Listener connect() throws Exception {
        var listener = new Listener();
        var ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token)
                .buildAsync(URI.create(url + "?offset=" + offset), listener).get(10, TimeUnit.SECONDS);
        listener.ws = ws;
        var size = lastSize;
        if (size != null) {
            ws.sendText("{\"type\":\"resize\",\"cols\":" + size[0] + ",\"rows\":" + size[1] + "}", true).join();
        }
        return listener;
    }

    /** Waits for each connection to end and reconnects while the terminal lives. */
    private void watch() {
        while (!end.isDone()) {
            var listener = current;
            int code;
            try {
                code = listener.closed.get();
            } catch (InterruptedException e) {
                return;
            } catch (ExecutionException e) {
                code = 1006;
            }
            if (end.isDone()) return;
            if (listener.exit != null) {
                end.complete(new End.Exited(listener.exit));
                return;
            }
            if (code >= 4000 && code < 5000 || code == 1008 || code == 1009 || code == 1007) {
                end.complete(new End.Failed("the daemon closed the terminal socket (" + code + " " + listener.reason + ")"));
                return;
            }
            sink.reconnecting(code == 1006 ? "connection lost" : "connection closed (" + code + ")");
            reconnect();
        }
    }

    private void reconnect() {
        long deadline = System.nanoTime() + GIVE_UP_AFTER.toNanos();
        long pause = 100;
        while (!end.isDone()) {
            try {
                var listener = connect();
                synchronized (sendLock) {
                    current = listener;
                    socket = listener.ws;
                }
                return;
            } catch (Exception e) {
                if (e instanceof ExecutionException ee && ee.getCause() instanceof WebSocketHandshakeException) {
                    end.complete(new End.Failed("the daemon refused to re-attach: " + describe(e)));
                    return;
                }
                if (System.nanoTime() > deadline) {
                    end.complete(new End.Failed("could not reconnect within " + GIVE_UP_AFTER.toSeconds() + " s: "
                            + describe(e)));
                    return;
                }
            }
            try {
                Thread.sleep(pause); // back off between reconnect attempts
            } catch (InterruptedException e) {
                return;
            }
            pause = Math.min(pause * 2, 2000);
        }
    }

    private static String describe(Exception e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t.getCause() != null && t.getMessage() == null) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof WebSocketHandshakeException h) {
            int status = h.getResponse().statusCode();
            return status == 401 ? "unauthorized (wrong or missing token; see `corral token`)" : "HTTP " + status;
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** One connection's events. */
    private final class Listener implements WebSocket.Listener {
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        volatile WebSocket ws;
        volatile Integer exit;
        volatile String reason = "";

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            var bytes = new byte[data.remaining()];
            data.get(bytes);
            try {
                sink.output(bytes);
                offset += bytes.length;
            } catch (IOException e) {
                end.complete(new End.Failed("cannot write to the terminal: " + e.getMessage()));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                control(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        private void control(String frame) {
            JsonNode node;
            try {
                node = ApiClient.JSON.readTree(frame);
            } catch (IOException e) {
                return;
            }
            switch (node.path("type").asText()) {
                case "replay" -> {
                    long from = node.path("from").asLong();
                    if (from > offset) sink.gap(offset, from);
                    offset = from;
                }
                case "exit" -> exit = node.path("code").asInt();
                default -> { } // newer daemons may send more; ignore what we do not know
            }
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            this.reason = reason;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(1006);
        }
    }
}
