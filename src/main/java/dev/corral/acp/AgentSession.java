package dev.corral.acp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.CorralException;
import dev.corral.Version;
import dev.corral.sandbox.Sandbox;
import dev.corral.sandbox.SandboxCommand;
import dev.corral.sandbox.SandboxSpec;
import dev.corral.workspace.WorkspaceFiles;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent process of a session, running inside its workspace's sandbox, and Corral's side of the ACP conversation
 * with it: the daemon is the client. Everything that matters goes to the {@link EventLog} from the connection's
 * single dispatcher thread, so events keep the agent's order. Held permission requests wait here for
 * {@link #answerPermission}; {@code fs/*} requests are served from the workspace's confined files and
 * {@code terminal/*} ones run commands in the same sandbox ({@link AgentTerminals}).
 *
 * <p>Thread-safe. {@link #stop()} ends the process (stdin EOF, then TERM, then KILL); the {@link ExitListener} hears of
 * every end, asked for or not, once, after every message the agent sent before it was recorded.
 */
final class AgentSession {

    private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int STDERR_LINES = 40;
    /** ACP: the file (or other resource) does not exist. */
    static final int RESOURCE_NOT_FOUND = -32002;

    /** Told once when the agent process has ended. Runs on its own thread. */
    interface ExitListener {
        void exited(AgentSession agent, boolean requested, Integer exitCode, List<String> stderrTail);
    }

    /**
     * How to start the agent.
     *
     * @param advertiseFs whether to offer {@code fs/read_text_file} and {@code fs/write_text_file} (see docs/agents.md:
     *                    gemini 0.61 cannot create files through them)
     */
    record Launch(Sandbox sandbox, SandboxCommand command, WorkspaceFiles files, boolean advertiseFs,
                  Duration initTimeout, boolean exitsOnStdinEof) {}

    private record Pending(String requestId, JsonNode params, Responder responder) {}

    private final String sessionId;
    private final EventLog events;
    private final Launch launch;
    private final Supplier<PermissionPolicy> policy;
    private final ExitListener exitListener;
    private final Deque<String> stderr = new ArrayDeque<>();
    private final Map<String, Pending> permissions = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private Process process;
    private JsonRpcConnection conn;
    private AgentTerminals terminals;
    private volatile String acpSessionId;
    private volatile boolean replaying;
    private volatile boolean stopRequested;
    private final java.util.concurrent.atomic.AtomicLong updates = new java.util.concurrent.atomic.AtomicLong();

    private AgentSession(String sessionId, EventLog events, Launch launch, Supplier<PermissionPolicy> policy,
                         ExitListener exitListener) {
        this.sessionId = sessionId;
        this.events = events;
        this.launch = launch;
        this.policy = policy;
        this.exitListener = exitListener;
    }

    /** Starts the agent process in the sandbox and the connection to it; nothing is sent yet. */
    static AgentSession start(String sessionId, EventLog events, Launch launch, Supplier<PermissionPolicy> policy,
                              ExitListener exitListener) {
        var a = new AgentSession(sessionId, events, launch, policy, exitListener);
        a.terminals = new AgentTerminals(launch.sandbox(), rec -> a.record(EventType.TERMINAL_EXIT, rec.toString()));
        a.process = launch.sandbox().spawn(launch.command(), false);
        Thread.ofVirtual().name("agent-stderr-" + sessionId).start(a::readStderr);
        a.conn = JsonRpcConnection.builder(a.process.getInputStream(), a.process.getOutputStream())
                .withName(sessionId)
                .withNotificationListener(a::onNotification)
                .withRequestHandler("session/request_permission", a::onPermission)
                .withRequestHandler("fs/read_text_file", a::onReadTextFile)
                .withRequestHandler("fs/write_text_file", a::onWriteTextFile)
                .withRequestHandler("terminal/create", a.terminals::create)
                .withRequestHandler("terminal/output", a.terminals::output)
                .withRequestHandler("terminal/wait_for_exit", a.terminals::waitForExit)
                .withRequestHandler("terminal/kill", a.terminals::kill)
                .withRequestHandler("terminal/release", a.terminals::release)
                .withConnectionListener(a.new Listener())
                .start();
        return a;
    }

    // ---- calls to the agent ----

    /** {@code initialize}; returns its result. */
    JsonNode initialize() throws InterruptedException {
        ObjectNode params = JsonRpcConnection.JSON.createObjectNode();
        params.put("protocolVersion", 1);
        ObjectNode caps = params.putObject("clientCapabilities");
        caps.putObject("fs").put("readTextFile", launch.advertiseFs()).put("writeTextFile", launch.advertiseFs());
        caps.put("terminal", true);
        params.putObject("clientInfo").put("name", "corral").put("version", Version.get());
        return conn.call("initialize", params, launch.initTimeout()).awaitResult();
    }

    /** {@code session/new} in {@code /workspace}; returns its result. */
    JsonNode newSession() throws InterruptedException {
        JsonNode r = conn.call("session/new", sessionParams(null), launch.initTimeout()).awaitResult();
        acpSessionId = r.path("sessionId").asText(null);
        if (acpSessionId == null) throw new IllegalStateException("session/new answered without a sessionId: " + r);
        return r;
    }

    /**
     * {@code session/load} of an earlier ACP session. The history the agent replays is not recorded again: the
     * transcript already has it.
     */
    JsonNode loadSession(String acpId) throws InterruptedException {
        acpSessionId = acpId;
        replaying = true;
        RpcCall call = conn.call("session/load", sessionParams(acpId), launch.initTimeout());
        // Runs on the dispatcher right after the answer, so every replayed update before it is skipped, none after.
        call.future().whenComplete((r, e) -> replaying = false);
        JsonNode r = call.awaitResult();
        return r == null || r.isNull() ? JsonRpcConnection.JSON.createObjectNode() : r;
    }

    private ObjectNode sessionParams(String acpId) {
        ObjectNode p = JsonRpcConnection.JSON.createObjectNode();
        if (acpId != null) p.put("sessionId", acpId);
        p.put("cwd", SandboxSpec.WORKSPACE);
        p.putArray("mcpServers");
        return p;
    }

    /** Sends {@code session/prompt} with one text block; the call ends with the turn. */
    RpcCall prompt(String text) {
        ObjectNode p = JsonRpcConnection.JSON.createObjectNode();
        p.put("sessionId", acpSessionId);
        p.putArray("prompt").addObject().put("type", "text").put("text", text);
        return conn.call("session/prompt", p, null);
    }

    /** Calls a session method ({@code session/set_mode}, …) with {@code sessionId} added; returns the result. */
    JsonNode callSession(String method, ObjectNode params, Duration deadline) throws InterruptedException {
        params.put("sessionId", acpSessionId);
        return conn.call(method, params, deadline).awaitResult();
    }

    /** {@code session/cancel}; held permission requests are answered "cancelled", as ACP requires. */
    void cancel() {
        ObjectNode p = JsonRpcConnection.JSON.createObjectNode().put("sessionId", acpSessionId);
        conn.notify("session/cancel", p);
        for (String id : List.copyOf(permissions.keySet())) answer(id, null, "cancel");
    }

    /** How many session/update notifications were recorded so far (to tell whether a turn produced output). */
    long updateCount() {
        return updates.get();
    }

    String acpSessionId() {
        return acpSessionId;
    }

    boolean isAlive() {
        return !ended.isDone() && !conn.isClosed();
    }

    /** A live agent terminal's output so far (see {@link AgentTerminals#snapshot}). */
    java.util.Optional<ObjectNode> terminal(String terminalId) {
        return terminals.snapshot(terminalId);
    }

    List<ObjectNode> terminals() {
        return terminals.snapshots();
    }

    List<String> stderrTail() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    /** Ids of held permission requests with their ACP params. */
    Map<String, JsonNode> pendingPermissions() {
        var out = new java.util.LinkedHashMap<String, JsonNode>();
        permissions.forEach((k, v) -> out.put(k, v.params()));
        return out;
    }

    /**
     * Answers a held permission request with one of its options, or {@code optionId} null for "cancelled".
     *
     * @throws CorralException 404 if no such request is held, 400 if the option is not one the agent offered
     */
    void answerPermission(String requestId, String optionId) {
        Pending p = permissions.get(requestId);
        if (p == null) throw CorralException.notFound("pending permission request", requestId);
        if (optionId != null && p.params().path("options").findValuesAsText("optionId").stream().noneMatch(optionId::equals)) {
            throw CorralException.badRequest("unknown_option", "option \"" + optionId + "\" is not one the agent offered: "
                    + p.params().path("options").findValuesAsText("optionId"));
        }
        if (!answer(requestId, optionId, "user")) throw CorralException.notFound("pending permission request", requestId);
    }

    /** Marks the coming end as asked for (the sandbox is about to be torn down, say). */
    void expectEnd() {
        stopRequested = true;
    }

    /** Ends the agent: stdin EOF, then TERM, then KILL. Blocks until it is gone (a few seconds at most). */
    void stop() {
        stopRequested = true;
        for (String id : List.copyOf(permissions.keySet())) answer(id, null, "stop");
        conn.close();
        try {
            if (!process.waitFor(launch.exitsOnStdinEof() ? 3 : 1, TimeUnit.SECONDS)) {
                launch.sandbox().signal(process, "TERM");
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    launch.sandbox().signal(process, "KILL");
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            }
            ended.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("session {}: agent did not end cleanly: {}", sessionId, e.toString());
            process.destroyForcibly();
        }
    }

    // ---- from the agent (dispatcher thread) ----

    private void onNotification(JsonRpcMessage.Notification n) {
        if (!"session/update".equals(n.method())) {
            log.debug("session {}: agent notification {} (not recorded)", sessionId, n.method());
            return;
        }
        if (replaying) return;
        updates.incrementAndGet();
        record(EventType.SESSION_UPDATE, n.rawParams().orElse("{}"));
    }

    private void onPermission(JsonRpcMessage.Request req, Responder responder) {
        String requestId = "perm-" + HexFormat.of().formatHex(bytes(6));
        record(EventType.PERMISSION_REQUEST, withRequestId(req.rawParams().orElse("{}"), requestId));
        permissions.put(requestId, new Pending(requestId, req.params(), responder));
        String auto = policy.get().choose(req.params());
        if (auto != null) answer(requestId, auto, "policy");
    }

    private boolean answer(String requestId, String optionId, String by) {
        Pending p = permissions.remove(requestId);
        if (p == null) return false;
        ObjectNode event = JsonRpcConnection.JSON.createObjectNode().put("requestId", requestId);
        ObjectNode result = JsonRpcConnection.JSON.createObjectNode();
        if (optionId == null) {
            event.put("outcome", "cancelled");
            result.putObject("outcome").put("outcome", "cancelled");
        } else {
            event.put("outcome", "selected").put("optionId", optionId);
            result.putObject("outcome").put("outcome", "selected").put("optionId", optionId);
        }
        event.put("by", by);
        record(EventType.PERMISSION_RESPONSE, event.toString());
        p.responder().respond(result);
        return true;
    }

    private void onReadTextFile(JsonRpcMessage.Request req, Responder responder) {
        String rel = confined(req.params().path("path").asText(""), responder);
        if (rel == null) return;
        try (InputStream in = launch.files().open(rel)) {
            String content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int line = req.params().path("line").asInt(0);
            int limit = req.params().path("limit").asInt(0);
            if (line > 1 || limit > 0) content = slice(content, Math.max(line, 1), limit);
            responder.respond(JsonRpcConnection.JSON.createObjectNode().put("content", content));
        } catch (CorralException e) {
            fsError(responder, e);
        } catch (IOException e) {
            responder.fail(JsonRpcErrors.INTERNAL_ERROR, "cannot read " + rel + ": " + e.getMessage(), null);
        }
    }

    private void onWriteTextFile(JsonRpcMessage.Request req, Responder responder) {
        String rel = confined(req.params().path("path").asText(""), responder);
        if (rel == null) return;
        byte[] bytes = req.params().path("content").asText("").getBytes(StandardCharsets.UTF_8);
        try {
            launch.files().write(rel, new ByteArrayInputStream(bytes));
            responder.respond(JsonRpcConnection.JSON.createObjectNode());
        } catch (CorralException e) {
            fsError(responder, e);
        }
    }

    /** The path relative to /workspace, or null after refusing it. */
    private static String confined(String path, Responder responder) {
        String root = SandboxSpec.WORKSPACE;
        String rel;
        if (path.equals(root)) {
            rel = "";
        } else if (path.startsWith(root + "/")) {
            rel = path.substring(root.length() + 1);
        } else if (!path.startsWith("/") && !path.isEmpty()) {
            rel = path;
        } else {
            responder.fail(JsonRpcErrors.INVALID_PARAMS, "path outside " + root + ": " + path, null);
            return null;
        }
        return rel;
    }

    private static void fsError(Responder responder, CorralException e) {
        if (e.kind() == CorralException.Kind.NOT_FOUND) {
            ObjectNode data = JsonRpcConnection.JSON.createObjectNode().put("reason", e.getMessage());
            responder.fail(RESOURCE_NOT_FOUND, "Resource not found", data);
        } else if (e.kind() == CorralException.Kind.BAD_REQUEST) {
            responder.fail(JsonRpcErrors.INVALID_PARAMS, e.getMessage(), null);
        } else {
            responder.fail(JsonRpcErrors.INTERNAL_ERROR, e.getMessage(), null);
        }
    }

    private static String slice(String content, int line, int limit) {
        String[] lines = content.split("\n", -1);
        int from = Math.min(line - 1, lines.length);
        int to = limit > 0 ? Math.min(lines.length, from + limit) : lines.length;
        return String.join("\n", java.util.Arrays.asList(lines).subList(from, to));
    }

    /** {@code params} with {@code "requestId"} added as the first member; the rest stays byte for byte. */
    static String withRequestId(String rawParams, String requestId) {
        String trimmed = rawParams.strip();
        String head;
        try {
            head = "{\"requestId\":" + JsonRpcConnection.JSON.writeValueAsString(requestId);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (!trimmed.startsWith("{")) return head + ",\"params\":" + trimmed + "}";
        String rest = trimmed.substring(1).strip();
        return rest.startsWith("}") ? head + "}" : head + "," + rest;
    }

    private CompletableFuture<Event> record(EventType type, String data) {
        return events.appendAsync(sessionId, type, data).whenComplete((e, err) -> {
            if (err != null) log.error("session {}: cannot record a {} event: {}", sessionId, type.wireName(), err.toString());
        });
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private void readStderr() {
        try (var in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.debug("session {} agent stderr: {}", sessionId, line);
                synchronized (stderr) {
                    if (stderr.size() == STDERR_LINES) stderr.removeFirst();
                    stderr.addLast(line.length() > 1000 ? line.substring(0, 1000) + "…" : line);
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    private final class Listener implements ConnectionListener {
        @Override
        public void onProblem(StreamProblem problem) {
            ObjectNode data = JsonRpcConnection.JSON.createObjectNode();
            switch (problem) {
                case StreamProblem.Garbage g -> data.put("message", "the agent wrote a line that is not JSON-RPC on stdout: "
                        + g.reason()).put("kind", "stdout_garbage").put("line", clip(g.line()));
                case StreamProblem.OversizedLine o -> data.put("message", "the agent wrote a line of " + o.bytes()
                        + " bytes (limit " + o.cap() + "); it was dropped").put("kind", "oversized_line");
                case StreamProblem.InvalidUtf8 u -> data.put("message", "the agent wrote invalid UTF-8 on stdout; bad bytes "
                        + "became U+FFFD").put("kind", "invalid_utf8");
                case StreamProblem.UnmatchedResponse u -> data.put("message", "the agent answered a request that was not "
                        + "pending").put("kind", "unmatched_response").put("line", clip(u.raw()));
            }
            data.put("lineNumber", problem.lineNumber());
            record(EventType.ERROR, data.toString());
        }

        @Override
        public void onClosed(ConnectionClosedException reason) {
            Thread.ofVirtual().name("agent-exit-" + sessionId).start(() -> {
                Integer code = null;
                try {
                    if (process.waitFor(5, TimeUnit.SECONDS)) code = process.exitValue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // Permission requests can no longer be answered, terminals no longer read.
                permissions.clear();
                terminals.releaseAll();
                try {
                    exitListener.exited(AgentSession.this, stopRequested, code, stderrTail());
                } catch (RuntimeException e) {
                    log.warn("session {}: exit listener failed", sessionId, e);
                } finally {
                    ended.complete(null);
                }
            });
        }
    }

    private static String clip(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "…" : s;
    }

    @Override
    public String toString() {
        return "AgentSession{" + sessionId + " " + launch.command().argv().getFirst() + "}";
    }

    static List<String> argvOf(String bin, List<String> args, List<String> extra) {
        var argv = new ArrayList<String>();
        argv.add(bin);
        argv.addAll(args);
        if (extra != null) argv.addAll(extra);
        return argv;
    }
}
