package dev.corral.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A model API on 127.0.0.1 that answers with scripted replies in each provider's streaming wire format and
 * records every request, as MockWebServer does for HTTP clients:
 * <ul>
 *   <li>OpenAI chat completions {@code POST /v1/chat/completions} (SSE chunks with {@code tool_calls} deltas) — OpenCode, Qwen</li>
 *   <li>OpenAI Responses {@code POST /v1/responses} (typed SSE events) — Codex</li>
 *   <li>Anthropic {@code POST /v1/messages} (SSE) and {@code /v1/messages/count_tokens} — Claude Code</li>
 *   <li>Gemini {@code POST /v1beta/models/M:streamGenerateContent?alt=sse}, {@code :generateContent}, {@code :countTokens} — Gemini CLI</li>
 *   <li>{@code GET …/models} lists for each, and an empty 200 JSON for anything else, so no agent stalls at startup</li>
 * </ul>
 * Which reply a generation request gets is the {@link Dispatcher}'s choice; the default takes scripted replies in order
 * for requests that offer tools and answers tool-less side requests (titles, summaries) with a short text,
 * so those never consume the script. Thread-safe; {@link #close()} stops the server.
 */
public final class FakeModelServer implements AutoCloseable {

    /** Chooses the reply to one generation request. Called on a server thread; must not block for long. */
    @FunctionalInterface
    public interface Dispatcher {
        ModelReply dispatch(RecordedRequest request);
    }

    private final HttpServer server;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final BlockingQueue<RecordedRequest> generations = new LinkedBlockingQueue<>();
    private final Deque<ModelReply> script = new ArrayDeque<>();
    private final AtomicInteger counter = new AtomicInteger();
    private volatile Dispatcher dispatcher = this::scripted;
    private volatile Predicate<RecordedRequest> scripted = r -> !r.toolNames().isEmpty();
    private volatile String sideReply = "Fake title";
    private volatile String whenScriptEmpty = "Done.";

    private FakeModelServer(HttpServer server) {
        this.server = server;
    }

    public static FakeModelServer start() {
        return start(InetAddress.getLoopbackAddress().getHostAddress());
    }

    /** Listens on {@code ip} (any 127.0.0.0/8 address works on Linux: e.g. 127.0.0.2, which is not in NO_PROXY). */
    public static FakeModelServer start(String ip) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(ip, 0), 0);
            FakeModelServer f = new FakeModelServer(s);
            s.createContext("/", f::handle);
            s.setExecutor(Executors.newCachedThreadPool());
            s.start();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://IP:PORT}, without a trailing slash or path. */
    public String baseUrl() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** Appends replies to the script (used by the default dispatcher). */
    public FakeModelServer enqueue(ModelReply... replies) {
        synchronized (script) {
            script.addAll(List.of(replies));
        }
        return this;
    }

    public FakeModelServer withDispatcher(Dispatcher d) {
        this.dispatcher = d;
        return this;
    }

    /**
     * Which requests the default dispatcher answers from the script; the others are side requests (titles,
     * classifiers, sub-agents) answered with a short text. Default: requests that offer any tool.
     */
    public FakeModelServer withScriptedWhen(Predicate<RecordedRequest> mainTurn) {
        this.scripted = mainTurn;
        return this;
    }

    /** The text answered to tool-less side requests and, once the script is used up, to everything. */
    public FakeModelServer withFallbackText(String sideRequests, String scriptEmpty) {
        this.sideReply = sideRequests;
        this.whenScriptEmpty = scriptEmpty;
        return this;
    }

    /** Every request so far, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** Blocks until the next generation request arrives (in order of arrival), or fails after {@code timeout}. */
    public RecordedRequest awaitGeneration(Duration timeout) throws InterruptedException {
        RecordedRequest r = generations.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) throw new AssertionError("no model request within " + timeout + "; got " + requests);
        return r;
    }

    public int scriptLeft() {
        synchronized (script) {
            return script.size();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private ModelReply scripted(RecordedRequest r) {
        if (!scripted.test(r)) return ModelReply.text(sideReply);
        synchronized (script) {
            return script.isEmpty() ? ModelReply.text(whenScriptEmpty) : script.removeFirst();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
            String path = ex.getRequestURI().getPath();
            RecordedRequest req = new RecordedRequest(ex.getRequestMethod(), path, ex.getRequestURI().getQuery(), headers, body);
            requests.add(req);
            route(ex, req);
        } catch (RuntimeException e) {
            // Already streaming or the client went away: nothing useful to send.
        }
    }

    private void route(HttpExchange ex, RecordedRequest req) throws IOException {
        String path = req.path();
        boolean post = req.method().equals("POST");
        if (post && path.endsWith("/chat/completions")) {
            JsonNode json = req.json();
            ModelReply reply = generation(req);
            int n = counter.incrementAndGet();
            String model = json.path("model").asText("fake-model");
            if (json.path("stream").asBoolean(false)) {
                stream(ex, sse -> OpenAiChatWire.stream(reply, model, n, json.path("stream_options").path("include_usage").asBoolean(false), sse));
            } else {
                json(ex, 200, OpenAiChatWire.whole(reply, model, n));
            }
        } else if (post && path.endsWith("/responses")) {
            ModelReply reply = generation(req);
            int n = counter.incrementAndGet();
            String model = req.json().path("model").asText("fake-model");
            stream(ex, sse -> OpenAiResponsesWire.stream(reply, model, n, sse));
        } else if (post && path.endsWith("/messages/count_tokens")) {
            json(ex, 200, Sse.obj().put("input_tokens", 10));
        } else if (post && path.endsWith("/messages")) {
            JsonNode json = req.json();
            ModelReply reply = generation(req);
            int n = counter.incrementAndGet();
            String model = json.path("model").asText("fake-model");
            if (json.path("stream").asBoolean(false)) stream(ex, sse -> AnthropicWire.stream(reply, model, n, sse));
            else json(ex, 200, AnthropicWire.whole(reply, model, n));
        } else if (post && path.contains(":streamGenerateContent")) {
            ModelReply reply = generation(req);
            stream(ex, sse -> GeminiWire.stream(reply, geminiModel(path), sse));
        } else if (post && path.contains(":generateContent")) {
            json(ex, 200, GeminiWire.whole(generation(req), geminiModel(path)));
        } else if (post && path.contains(":countTokens")) {
            json(ex, 200, Sse.obj().put("totalTokens", 10));
        } else if (req.method().equals("GET") && path.endsWith("/models")) {
            json(ex, 200, models(path));
        } else {
            json(ex, 200, Sse.obj());
        }
    }

    private ModelReply generation(RecordedRequest req) {
        generations.add(req);
        return dispatcher.dispatch(req);
    }

    private static String geminiModel(String path) {
        String tail = path.substring(path.lastIndexOf('/') + 1);
        return tail.substring(0, tail.indexOf(':'));
    }

    private static ObjectNode models(String path) {
        ObjectNode o = Sse.obj();
        if (path.startsWith("/v1beta")) {
            o.putArray("models").addObject().put("name", "models/gemini-2.5-flash");
        } else {
            o.put("object", "list");
            o.putArray("data").addObject().put("id", "fake-model").put("object", "model").put("type", "model")
                    .put("display_name", "Fake model").put("owned_by", "corral");
            o.put("has_more", false);
        }
        return o;
    }

    private interface SseBody {
        void write(Sse sse);
    }

    private static void stream(HttpExchange ex, SseBody body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            body.write(new Sse(out));
        }
    }

    private static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = Sse.json(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
