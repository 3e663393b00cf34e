package dev.corral.acp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Newline-delimited JSON-RPC 2.0 with one agent process: we read its stdout and write its stdin.
 *
 * <p><b>Directions.</b> Our requests ({@link #call}) carry our own ids, numbered from 1; the agent's requests
 * to us carry the agent's ids, echoed back unchanged. The two never mix: a message with a {@code method} is the
 * agent's request or notification, one without is an answer to us.
 *
 * <p><b>Threads.</b> A platform thread reads and parses stdout. A virtual one, the dispatcher, handles every
 * inbound message strictly in arrival order, one at a time: notifications go to the {@link NotificationListener},
 * requests to the {@link RequestHandler} registered for their method (others are answered with -32601), and
 * answers complete their {@link RpcCall}. The queue between the two is bounded, so a slow dispatcher slows the
 * reader and, through the pipe, the agent: nothing is dropped. When the dispatcher has nothing left to do, the
 * reader hands notifications to the listener itself (a flood of {@code session/update}s then costs no thread
 * hand-off per read); the order and the one-at-a-time rule stay the same. Writes from any thread are serialised,
 * one line per message.
 *
 * <p><b>Bad input.</b> Lines that are not JSON-RPC, longer than the cap (default 16 MiB) or not UTF-8 are
 * reported to the {@link ConnectionListener} and reading goes on. End of stdout or a failed write ends the
 * connection: pending and later calls fail with {@link ConnectionClosedException}.
 *
 * <p>The connection owns both streams and closes them; it does not own the process.
 */
public final class JsonRpcConnection implements AutoCloseable {

    /** The default cap on one inbound line, in bytes. */
    public static final int DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(JsonRpcConnection.class);
    static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    private static final Object END = new Object();

    private final String name;
    private final InputStream in;
    private final OutputStream out;
    private final int maxLineBytes;
    private final Duration defaultDeadline;
    private final Map<String, RequestHandler> handlers;
    private final RequestHandler fallback;
    private final NotificationListener notifications;
    private final ConnectionListener listener;

    /** Parsed messages (one, or a list of those read together), then the end; see {@link #flushParsed}. */
    private final BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
    /** Room for messages waiting for the dispatcher: the reader takes it, the dispatcher gives it back. */
    private final Semaphore room;
    private final int dispatchQueueSize;
    private final List<Numbered> parsed = new ArrayList<>(); // reader thread only
    /** Messages handed to the dispatcher and not yet dispatched; only the reader adds, only the dispatcher takes. */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Map<Long, RpcCall> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    private final AtomicBoolean closeReported = new AtomicBoolean();

    private JsonRpcConnection(Builder b) {
        this.name = b.name;
        this.in = b.in;
        this.out = b.out;
        this.maxLineBytes = b.maxLineBytes;
        this.defaultDeadline = b.defaultDeadline;
        this.handlers = Map.copyOf(b.handlers);
        this.fallback = b.fallback;
        this.notifications = b.notifications;
        this.listener = b.listener;
        this.dispatchQueueSize = b.dispatchQueueSize;
        this.room = new Semaphore(b.dispatchQueueSize);
    }

    /** Starts configuring a connection over an agent's stdout ({@code in}) and stdin ({@code out}). */
    public static Builder builder(InputStream agentStdout, OutputStream agentStdin) {
        return new Builder(agentStdout, agentStdin);
    }

    private JsonRpcConnection start() {
        // A platform thread: a blocking pipe read on a virtual thread makes the scheduler compensate with another
        // carrier every time, which cost more than the read itself when an agent floods.
        Thread.ofPlatform().name("acp-read-" + name).daemon().start(this::readLoop);
        Thread.ofVirtual().name("acp-dispatch-" + name).start(this::dispatchLoop);
        return this;
    }

    /** Sends a request with the connection's default deadline. Never throws for I/O: the call fails instead. */
    public RpcCall call(String method, JsonNode params) {
        return call(method, params, defaultDeadline);
    }

    /**
     * Sends a request and returns its call. Returns as soon as the line is written; that can block while the
     * agent's stdin pipe is full (the agent is not reading), and the deadline starts before the write.
     *
     * @param params the params object, or null to send none
     * @param deadline how long to wait for the answer, or null for no limit
     */
    public RpcCall call(String method, JsonNode params, Duration deadline) {
        Objects.requireNonNull(method, "method");
        var call = new RpcCall(nextId.getAndIncrement(), method, deadline);
        pending.put(call.id(), call);
        call.future().whenComplete((r, e) -> pending.remove(call.id(), call));
        var gone = closed.get();
        if (gone != null) {
            call.fail(gone);
            return call;
        }
        ObjectNode msg = envelope();
        msg.put("id", call.id());
        msg.put("method", method);
        if (params != null && !params.isMissingNode()) {
            msg.set("params", params);
        }
        call.startDeadline();
        write(msg);
        return call;
    }

    /** Sends a notification (e.g. {@code session/cancel}). Returns false if the connection is closed. */
    public boolean notify(String method, JsonNode params) {
        ObjectNode msg = envelope();
        msg.put("method", method);
        if (params != null && !params.isMissingNode()) {
            msg.set("params", params);
        }
        return write(msg);
    }

    /**
     * Sends one message given as JSON text, unchanged (for passing an editor's message through).
     * The caller is responsible for its ids not clashing with ours.
     *
     * @throws IllegalArgumentException if the text contains a line break
     */
    public boolean sendRaw(String json) {
        if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a message must be one line");
        }
        return writeLine(json.getBytes(StandardCharsets.UTF_8));
    }

    /** True once the connection has ended, for whatever reason. */
    public boolean isClosed() {
        return closed.get() != null;
    }

    /** Closes both streams and fails pending calls. Idempotent. The agent usually exits when its stdin closes. */
    @Override
    public void close() {
        terminate(new ConnectionClosedException("connection to agent " + name + " closed", null));
    }

    // ---- reading and dispatching ----

    private void readLoop() {
        ConnectionClosedException reason;
        try {
            new LineReader(in, maxLineBytes).readAll(new LineReader.Sink() {
                @Override
                public void line(long number, String text, boolean hadInvalidUtf8) {
                    if (hadInvalidUtf8) {
                        reportFromReader(new StreamProblem.InvalidUtf8(number, text));
                    }
                    parse(number, text);
                }

                @Override
                public void oversized(long number, long bytes) {
                    reportFromReader(new StreamProblem.OversizedLine(number, bytes, maxLineBytes));
                }

                @Override
                public void endOfRead() {
                    flushParsed();
                }
            });
            flushParsed();
            reason = new ConnectionClosedException("agent " + name + " closed its stdout (exited?)", null);
        } catch (IOException e) {
            reason = new ConnectionClosedException("reading from agent " + name + " failed: " + e.getMessage(), e);
        }
        enqueue(reason);
        enqueue(END);
    }

    private void parse(long number, String text) {
        JsonRpcMessage.Notification note = RawJson.notification(text);
        if (note != null) {
            parsed.add(new Numbered(number, note));
            return;
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            reportFromReader(new StreamProblem.Garbage(number, text, "not JSON: " + e.getOriginalMessage()));
            return;
        }
        if (!(node instanceof ObjectNode)) {
            reportFromReader(new StreamProblem.Garbage(number, text, "not a JSON object"));
            return;
        }
        JsonNode method = node.get("method");
        JsonNode id = node.get("id");
        JsonNode params = node.path("params");
        if (method != null && method.isTextual()) {
            parsed.add(id != null
                    ? new Numbered(number, new JsonRpcMessage.Request(id, method.asText(), params, text))
                    : new Numbered(number, new JsonRpcMessage.Notification(method.asText(), params, text)));
        } else if (id != null && (node.has("result") || node.has("error"))) {
            JsonNode error = node.get("error");
            JsonNode result = error == null ? node.get("result") : null;
            parsed.add(new Numbered(number, new JsonRpcMessage.Response(id, result, error, text)));
        } else {
            reportFromReader(new StreamProblem.Garbage(number, text, "not a JSON-RPC message"));
        }
    }

    private record Numbered(long line, JsonRpcMessage message) {}

    /**
     * Hands the messages parsed from one read to the dispatcher in one go: one wake-up of the dispatcher for a
     * flood's worth of lines instead of one per line. Blocks while the dispatcher has no room for them.
     */
    private void flushParsed() {
        int n = parsed.size();
        int inline = 0;
        // Nothing left for the dispatcher (only this thread adds to outstanding): notifications at the front go
        // to the listener from here, one thread hand-off less for each; the order stays the arrival order.
        if (outstanding.get() == 0) {
            while (inline < n && parsed.get(inline).message() instanceof JsonRpcMessage.Notification) {
                dispatch(parsed.get(inline++));
            }
        }
        int rest = n - inline;
        if (rest == 0) {
            parsed.clear();
            return;
        }
        Object item = rest == 1 ? parsed.get(inline) : List.copyOf(parsed.subList(inline, n));
        parsed.clear();
        outstanding.addAndGet(rest);
        try {
            room.acquire(Math.min(rest, dispatchQueueSize));
            inbound.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A problem found while reading: reported after the messages before it went to the dispatcher. */
    private void reportFromReader(StreamProblem problem) {
        flushParsed();
        report(problem);
    }

    private void enqueue(Object item) {
        try {
            inbound.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatchLoop() {
        try {
            while (true) {
                Object item = inbound.take();
                if (item == END) {
                    return;
                }
                switch (item) {
                    case ConnectionClosedException reason -> terminate(reason);
                    case Numbered n -> {
                        room.release();
                        dispatch(n);
                        outstanding.decrementAndGet();
                    }
                    case List<?> batch -> {
                        room.release(Math.min(batch.size(), dispatchQueueSize));
                        for (Object n : batch) {
                            dispatch((Numbered) n);
                            outstanding.decrementAndGet();
                        }
                    }
                    default -> throw new IllegalStateException("unexpected " + item);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dispatch(Numbered n) {
        switch (n.message()) {
            case JsonRpcMessage.Notification note -> {
                try {
                    notifications.onNotification(note);
                } catch (RuntimeException e) {
                    log.warn("notification listener of {} threw on {}", name, note.method(), e);
                }
            }
            case JsonRpcMessage.Request request -> handle(request);
            case JsonRpcMessage.Response response -> {
                RpcCall call = pending.get(idOf(response.id()));
                if (call == null) {
                    report(new StreamProblem.UnmatchedResponse(n.line(), response.raw()));
                } else {
                    call.complete(response);
                }
            }
        }
    }

    private static long idOf(JsonNode id) {
        if (id.isIntegralNumber()) {
            return id.asLong();
        }
        try {
            return Long.parseLong(id.asText());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void handle(JsonRpcMessage.Request request) {
        var responder = new LineResponder(this, request.id());
        RequestHandler handler = handlers.getOrDefault(request.method(), fallback);
        try {
            handler.onRequest(request, responder);
        } catch (RuntimeException e) {
            log.warn("request handler of {} threw on {}", name, request.method(), e);
            responder.fail(JsonRpcErrors.INTERNAL_ERROR, "internal error", null);
        }
    }

    private void report(StreamProblem problem) {
        try {
            listener.onProblem(problem);
        } catch (RuntimeException e) {
            log.warn("connection listener of {} threw", name, e);
        }
    }

    // ---- writing and ending ----

    static ObjectNode envelope() {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("jsonrpc", "2.0");
        return msg;
    }

    boolean write(ObjectNode msg) {
        try {
            return writeLine(JSON.writeValueAsBytes(msg));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise message: " + e.getMessage(), e);
        }
    }

    boolean writeLine(byte[] line) {
        if (closed.get() != null) {
            return false;
        }
        writeLock.lock();
        try {
            out.write(line);
            out.write('\n');
            out.flush();
            return true;
        } catch (IOException e) {
            terminate(new ConnectionClosedException("writing to agent " + name + " failed: " + e.getMessage(), e));
            return false;
        } finally {
            writeLock.unlock();
        }
    }

    private void terminate(ConnectionClosedException reason) {
        closed.compareAndSet(null, reason);
        ConnectionClosedException first = closed.get();
        for (RpcCall call : pending.values()) {
            call.fail(first);
        }
        if (closeReported.compareAndSet(false, true)) {
            closeQuietly(out);
            closeQuietly(in);
            try {
                listener.onClosed(first);
            } catch (RuntimeException e) {
                log.warn("connection listener of {} threw on close", name, e);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Already broken; nothing more to tell.
        }
    }

    /** Configures and starts a {@link JsonRpcConnection}. */
    public static final class Builder {
        private final InputStream in;
        private final OutputStream out;
        private String name = "agent";
        private int maxLineBytes = DEFAULT_MAX_LINE_BYTES;
        private int dispatchQueueSize = 4096;
        private Duration defaultDeadline;
        private final Map<String, RequestHandler> handlers = new HashMap<>();
        private RequestHandler fallback = (request, responder) ->
                responder.fail(JsonRpcErrors.METHOD_NOT_FOUND, "method not found: " + request.method(), null);
        private NotificationListener notifications = n -> {};
        private ConnectionListener listener = ConnectionListener.NONE;

        private Builder(InputStream in, OutputStream out) {
            this.in = Objects.requireNonNull(in, "in");
            this.out = Objects.requireNonNull(out, "out");
        }

        /** A name for thread names and messages, e.g. the session id. */
        public Builder withName(String name) {
            this.name = name;
            return this;
        }

        /** Lines longer than this many bytes are discarded and reported. */
        public Builder withMaxLineBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxLineBytes must be positive");
            }
            this.maxLineBytes = bytes;
            return this;
        }

        /** How many parsed messages may wait for the dispatcher before the reader stops reading. */
        public Builder withDispatchQueueSize(int size) {
            this.dispatchQueueSize = size;
            return this;
        }

        /** The deadline of {@link #call(String, JsonNode)}; null (the default) means none. */
        public Builder withDefaultDeadline(Duration deadline) {
            this.defaultDeadline = deadline;
            return this;
        }

        /** Handles requests from the agent for one method; methods without a handler get -32601. */
        public Builder withRequestHandler(String method, RequestHandler handler) {
            handlers.put(method, Objects.requireNonNull(handler, "handler"));
            return this;
        }

        /**
         * Handles requests for methods without their own handler (e.g. extension methods to pass through).
         * The default answers -32601 (method not found).
         */
        public Builder withFallbackRequestHandler(RequestHandler handler) {
            this.fallback = Objects.requireNonNull(handler, "handler");
            return this;
        }

        public Builder withNotificationListener(NotificationListener listener) {
            this.notifications = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder withConnectionListener(ConnectionListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Starts reading; the connection is live when this returns. */
        public JsonRpcConnection start() {
            return new JsonRpcConnection(this).start();
        }
    }
}
