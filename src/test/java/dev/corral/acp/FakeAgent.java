package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted ACP agent for tests, run as a real process: {@code java -cp ... dev.corral.acp.FakeAgent SCRIPT RECORD}.
 * It appends every line it receives on stdin to RECORD, answers {@code initialize}, {@code session/new} and
 * {@code session/prompt}, and plays the script's {@code turn} during each prompt. Its own request ids start at
 * {@code firstId} (default 1), the same numbers a client uses, so clashes show.
 *
 * <p>Script (JSON): {@code {"hangInitialize":false, "firstId":1, "stopReason":"end_turn", "turn":[step...]}}.
 * Steps ({@code "op"}):
 * <ul>
 *   <li>{@code updates, count, kinds?}: that many updates whose content text is their index; their
 *       {@code sessionUpdate} cycles through {@code kinds} (default {@code agent_message_chunk}), so unknown and
 *       extension kinds such as {@code session_info_update} or {@code _vendor/x} can be flooded too; with
 *       {@code stamp} each carries {@code _meta.sentMicros} (wall clock), with {@code intervalMicros} they are paced;
 *   <li>{@code line, text}: writes the text as one line, exactly (garbage, or an exact message);
 *   <li>{@code bytes, base64}: writes those bytes then a newline (invalid UTF-8);
 *   <li>{@code oversized, bytes}: writes a JSON notification line of that many bytes;
 *   <li>{@code notify, method, params}: sends a notification;
 *   <li>{@code request, method, params}: sends a request and waits for its answer;
 *   <li>in the params of {@code notify} and {@code request}, a string {@code "${N.field}"} is replaced by the
 *       {@code field} of the result of the turn's N-th request (from 1), e.g. {@code "${1.terminalId}"};
 *   <li>{@code awaitCancel}: waits for a {@code session/cancel} notification, then ends the turn as {@code cancelled};
 *   <li>{@code stall}: never finishes the turn (it still reads and records stdin);
 *   <li>{@code crash}: exits with status 3 at once.
 * </ul>
 * {@code session/new} answers with the script's {@code newSession} fields added (e.g. {@code models},
 * {@code configOptions}). It also answers {@code session/load}, {@code session/set_mode} and {@code session/set_model}
 * with {@code {}}, {@code session/set_config_option} with the script's config options (the chosen one at its new value)
 * and every other request with -32601.
 */
public final class FakeAgent {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    private final Map<Long, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final JsonNode script;
    private final AtomicLong nextId;
    private final Path record;
    private String sessionId = "fake-session-1";
    private final CompletableFuture<JsonNode> cancelled = new CompletableFuture<>();
    private volatile String stopReason;

    private FakeAgent(JsonNode script, Path record) {
        this.script = script;
        this.record = record;
        this.nextId = new AtomicLong(script.path("firstId").asLong(1));
    }

    public static void main(String[] args) throws Exception {
        JsonNode script = JSON.readTree(Files.readString(Path.of(args[0])));
        new FakeAgent(script, Path.of(args[1])).run();
    }

    private void run() throws IOException {
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (var rec = new PrintWriter(Files.newBufferedWriter(record, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                rec.println(line);
                JsonNode msg = JSON.readTree(line);
                if (msg.has("method")) {
                    if (msg.has("id")) {
                        onRequest(msg);
                    } else if (msg.get("method").asText().equals("session/cancel")) {
                        cancelled.complete(msg);
                    }
                } else if (msg.has("id")) {
                    var f = waiting.remove(msg.get("id").asLong());
                    if (f != null) {
                        f.complete(msg);
                    }
                }
            }
        }
        System.exit(0);
    }

    private void onRequest(JsonNode msg) throws IOException {
        JsonNode id = msg.get("id");
        switch (msg.get("method").asText()) {
            case "initialize" -> {
                if (script.path("hangInitialize").asBoolean(false)) {
                    System.err.println("fake agent: hanging in initialize");
                    return;
                }
                ObjectNode result = JSON.createObjectNode();
                result.put("protocolVersion", 1);
                result.putObject("agentCapabilities").put("loadSession", true);
                result.putArray("authMethods");
                answer(id, result);
            }
            case "session/new" -> {
                sessionId = script.path("sessionId").asText(sessionId);
                ObjectNode result = JSON.createObjectNode().put("sessionId", sessionId);
                script.path("newSession").fields().forEachRemaining(e -> result.set(e.getKey(), e.getValue()));
                answer(id, result);
            }
            case "session/load", "session/set_mode", "session/set_model" -> answer(id, JSON.createObjectNode());
            case "session/set_config_option" -> {
                // Answers with the script's config options, the chosen one at its new value.
                ObjectNode result = JSON.createObjectNode();
                JsonNode options = script.path("newSession").path("configOptions");
                if (options.isArray()) {
                    var out = result.putArray("configOptions");
                    for (JsonNode o : options) {
                        ObjectNode c = o.deepCopy();
                        if (c.path("id").asText().equals(msg.path("params").path("configId").asText())) {
                            c.set("currentValue", msg.path("params").path("value"));
                        }
                        out.add(c);
                    }
                }
                answer(id, result);
            }
            case "session/prompt" -> Thread.ofPlatform().start(() -> {
                try {
                    stopReason = script.path("stopReason").asText("end_turn");
                    playTurn();
                    answer(id, JSON.createObjectNode().put("stopReason", stopReason));
                } catch (Exception e) {
                    e.printStackTrace();
                    System.exit(4);
                }
            });
            default -> {
                ObjectNode m = envelope();
                m.set("id", id);
                m.putObject("error").put("code", -32601).put("message", "method not found");
                send(m);
            }
        }
    }

    private void playTurn() throws Exception {
        var answers = new java.util.ArrayList<JsonNode>();
        for (JsonNode step : script.path("turn")) {
            switch (step.get("op").asText()) {
                case "updates" -> {
                    int count = step.get("count").asInt();
                    JsonNode kinds = step.path("kinds");
                    boolean stamp = step.path("stamp").asBoolean(false);
                    long intervalNanos = step.path("intervalMicros").asLong(0) * 1000;
                    long next = System.nanoTime();
                    for (int i = 0; i < count; i++) {
                        if (intervalNanos > 0) {
                            next += intervalNanos;
                            while (System.nanoTime() < next) Thread.onSpinWait();
                        }
                        String kind = kinds.isEmpty() ? "agent_message_chunk" : kinds.get(i % kinds.size()).asText();
                        ObjectNode params = JSON.createObjectNode().put("sessionId", sessionId);
                        ObjectNode update = params.putObject("update").put("sessionUpdate", kind);
                        update.putObject("content").put("type", "text").put("text", Integer.toString(i));
                        if (stamp) {
                            // Wall-clock microseconds when sent, for latency measured in another process.
                            java.time.Instant now = java.time.Instant.now();
                            update.putObject("_meta").put("sentMicros", now.getEpochSecond() * 1_000_000L + now.getNano() / 1000);
                        }
                        send(envelope().put("method", "session/update").set("params", params));
                        if (intervalNanos > 0) out.flush();
                    }
                }
                case "line" -> writeLine(step.get("text").asText().getBytes(StandardCharsets.UTF_8));
                case "bytes" -> writeLine(Base64.getDecoder().decode(step.get("base64").asText()));
                case "oversized" -> {
                    int size = step.get("bytes").asInt();
                    String head = "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"pad\":\"";
                    String tail = "\"}}";
                    writeLine((head + "x".repeat(Math.max(0, size - head.length() - tail.length())) + tail)
                            .getBytes(StandardCharsets.UTF_8));
                }
                case "notify" -> send(envelope().put("method", step.get("method").asText())
                        .set("params", substitute(step.path("params"), answers)));
                case "request" -> {
                    long id = nextId.getAndIncrement();
                    var answer = new CompletableFuture<JsonNode>();
                    waiting.put(id, answer);
                    ObjectNode m = envelope().put("id", id).put("method", step.get("method").asText());
                    m.set("params", substitute(step.path("params"), answers));
                    send(m);
                    answers.add(answer.get());
                }
                case "stall" -> {
                    System.err.println("fake agent: stalling mid-turn");
                    new CompletableFuture<Void>().get();
                }
                case "awaitCancel" -> {
                    cancelled.get();
                    stopReason = "cancelled";
                    return;
                }
                case "crash" -> {
                    synchronized (this) {
                        out.flush();
                    }
                    Runtime.getRuntime().halt(3);
                }
                default -> throw new IllegalArgumentException("unknown op " + step);
            }
        }
    }

    private static final java.util.regex.Pattern REF = java.util.regex.Pattern.compile("\\$\\{(\\d+)\\.(\\w+)}");

    /** A copy of {@code node} with "${N.field}" strings replaced by that field of the N-th answer's result. */
    private static JsonNode substitute(JsonNode node, java.util.List<JsonNode> answers) {
        if (node.isTextual()) {
            var m = REF.matcher(node.asText());
            if (m.matches() && Integer.parseInt(m.group(1)) <= answers.size()) {
                return answers.get(Integer.parseInt(m.group(1)) - 1).path("result").path(m.group(2));
            }
            return node;
        }
        if (node.isObject()) {
            ObjectNode copy = JSON.createObjectNode();
            node.fields().forEachRemaining(e -> copy.set(e.getKey(), substitute(e.getValue(), answers)));
            return copy;
        }
        if (node.isArray()) {
            var copy = JSON.createArrayNode();
            node.forEach(n -> copy.add(substitute(n, answers)));
            return copy;
        }
        return node;
    }

    private static ObjectNode envelope() {
        return JSON.createObjectNode().put("jsonrpc", "2.0");
    }

    private void answer(JsonNode id, JsonNode result) throws IOException {
        ObjectNode m = envelope();
        m.set("id", id);
        m.set("result", result);
        send(m);
    }

    private void send(JsonNode msg) throws IOException {
        writeLine(JSON.writeValueAsBytes(msg));
    }

    private synchronized void writeLine(byte[] bytes) throws IOException {
        out.write(bytes);
        out.write('\n');
        out.flush();
    }
}
