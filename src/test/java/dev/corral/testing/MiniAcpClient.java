package dev.corral.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The smallest ACP client that can drive a real agent over stdio in a test: newline-delimited JSON-RPC,
 * requests with a deadline, and handlers for the agent's requests. By default it allows the first
 * {@code allow_once} permission option and serves {@code fs/read_text_file} and {@code fs/write_text_file}
 * from the real file system; a missing file is ACP's "Resource not found" (-32002). Everything received is recorded; stdout lines that are not JSON are kept apart.
 * Not the product's ACP implementation: test scope only.
 */
public final class MiniAcpClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final OutputStream stdin;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, Function<JsonNode, Object>> handlers = new ConcurrentHashMap<>();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final List<String> noise = new CopyOnWriteArrayList<>();
    private final StringBuffer stderr = new StringBuffer();

    public MiniAcpClient(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        handlers.put("session/request_permission", MiniAcpClient::allowOnce);
        handlers.put("fs/read_text_file", p -> Map.of("content", read(Path.of(p.path("path").asText()))));
        handlers.put("fs/write_text_file", p -> {
            write(Path.of(p.path("path").asText()), p.path("content").asText());
            return null;
        });
        Thread.ofPlatform().daemon().name("acp-stdout").start(this::readStdout);
        Thread.ofPlatform().daemon().name("acp-stderr").start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) stderr.append(line).append('\n');
            } catch (IOException ignored) {
                // process gone
            }
        });
    }

    /** Replaces the handler of an agent-to-client request; return the JSON-RPC result (null for {@code null}). */
    public MiniAcpClient on(String method, Function<JsonNode, Object> handler) {
        handlers.put(method, handler);
        return this;
    }

    /** Sends a request and waits for its result; fails with the agent's error or stderr on timeout. */
    public JsonNode request(String method, Object params, Duration timeout) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        send(JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method).set("params", JSON.valueToTree(params)));
        try {
            JsonNode response = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (response.has("error")) throw new AssertionError(method + " failed: " + response.get("error") + "\nstderr:\n" + stderr());
            return response.path("result");
        } catch (TimeoutException e) {
            throw new AssertionError(method + " got no answer within " + timeout + "\nstderr:\n" + stderr() + "\nnoise: " + noise);
        } catch (Exception e) {
            throw new AssertionError(method + ": " + e, e);
        }
    }

    /** Everything the agent sent (responses, notifications and requests), in order. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    /** The {@code update} objects of all {@code session/update} notifications so far. */
    public List<JsonNode> updates() {
        return received.stream().filter(m -> "session/update".equals(m.path("method").asText()))
                .map(m -> m.path("params").path("update")).toList();
    }

    /** The agent's requests of {@code method} so far (their params). */
    public List<JsonNode> agentRequests(String method) {
        return received.stream().filter(m -> m.has("id") && method.equals(m.path("method").asText()))
                .map(m -> m.path("params")).toList();
    }

    /** Non-JSON lines the agent printed on stdout. */
    public List<String> noise() {
        return List.copyOf(noise);
    }

    public String stderr() {
        return stderr.toString();
    }

    public Process process() {
        return process;
    }

    /** Closes stdin, waits briefly for the agent to exit, then kills it. */
    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }

    private void readStdout() {
        try (var r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode m;
                try {
                    m = JSON.readTree(line);
                } catch (IOException e) {
                    noise.add(line);
                    continue;
                }
                if (m == null || !m.isObject()) {
                    noise.add(line);
                    continue;
                }
                received.add(m);
                if (m.has("method") && m.has("id")) {
                    Thread.ofVirtual().start(() -> answer(m));
                } else if (m.has("id") && !m.has("method")) {
                    CompletableFuture<JsonNode> f = pending.remove(m.path("id").asLong());
                    if (f != null) f.complete(m);
                }
            }
        } catch (IOException ignored) {
            // process gone
        }
        pending.values().forEach(f -> f.completeExceptionally(new IOException("agent closed stdout; stderr:\n" + stderr())));
    }

    private void answer(JsonNode req) {
        ObjectNode resp = JSON.createObjectNode().put("jsonrpc", "2.0");
        resp.set("id", req.get("id"));
        Function<JsonNode, Object> h = handlers.get(req.path("method").asText());
        if (h == null) {
            resp.putObject("error").put("code", -32601).put("message", "Method not found: " + req.path("method").asText());
        } else {
            try {
                resp.set("result", JSON.valueToTree(h.apply(req.path("params"))));
            } catch (RuntimeException e) {
                boolean missing = e.getCause() instanceof java.nio.file.NoSuchFileException;
                resp.putObject("error").put("code", missing ? -32002 : -32603)
                        .put("message", (missing ? "Resource not found: " : "") + e.getMessage());
            }
        }
        send(resp);
    }

    private synchronized void send(JsonNode message) {
        try {
            stdin.write((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("agent stdin closed; stderr:\n" + stderr(), e);
        }
    }

    static Object allowOnce(JsonNode params) {
        String chosen = null;
        for (JsonNode o : params.path("options")) {
            if (o.path("kind").asText().equals("allow_once")) {
                chosen = o.path("optionId").asText();
                break;
            }
        }
        if (chosen == null) chosen = params.path("options").path(0).path("optionId").asText();
        return Map.of("outcome", Map.of("outcome", "selected", "optionId", chosen));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String content) {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
