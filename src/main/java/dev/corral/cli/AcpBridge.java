package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.acp.JsonRpcConnection;
import dev.corral.acp.JsonRpcErrors;
import dev.corral.acp.JsonRpcMessage;
import dev.corral.acp.Responder;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * An ACP agent on stdio that is really a Corral session: an editor (Zed, JetBrains, Neovim) talks ACP to this, and the
 * agent runs sandboxed in a workspace of the daemon. {@code session/new} starts a Corral session, {@code session/load}
 * attaches to one (replaying its transcript), {@code session/prompt} goes through the session's event socket and is
 * answered when its {@code turn_end} arrives; the agent's updates reach the editor as {@code session/update} with the
 * Corral session id, and its permission requests as {@code session/request_permission}, whose answers go back through
 * the API. File system and terminal requests are served by the daemon inside the workspace, not by the editor.
 */
final class AcpBridge {
    private final ApiClient api;
    private final String agent;
    private final Supplier<String> workspace;
    private final Map<String, Attached> sessions = new ConcurrentHashMap<>();
    private JsonRpcConnection editor;

    /** One Corral session the editor uses: its event socket and the prompts waiting for their turn end. */
    private final class Attached {
        final String sid;
        final EventSocket socket;
        final long replayUpTo;
        final CountDownLatch replayed = new CountDownLatch(1);
        final Map<String, Responder> prompts = new ConcurrentHashMap<>();
        volatile String lastError;

        Attached(String sid, long after, long replayUpTo) {
            this.sid = sid;
            this.replayUpTo = replayUpTo;
            this.socket = EventSocket.open(api, sid, after);
            if (replayUpTo <= after) replayed.countDown();
            Thread.ofVirtual().name("acp-bridge-" + sid).start(this::relay);
        }

        private void relay() {
            try {
                while (true) {
                    JsonNode frame = socket.next();
                    if (frame == EventSocket.CLOSED) return;
                    if ("error".equals(frame.path("reply").asText())) {
                        lastError = frame.path("error").asText();
                        continue;
                    }
                    if (!frame.has("seq")) continue;
                    relayEvent(frame);
                    if (frame.path("seq").asLong() >= replayUpTo) replayed.countDown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                replayed.countDown();
                prompts.values().forEach(r -> r.fail(JsonRpcErrors.INTERNAL_ERROR, "the connection to Corral closed", null));
            }
        }

        private void relayEvent(JsonNode event) {
            JsonNode data = event.path("data");
            boolean replay = event.path("seq").asLong() <= replayUpTo;
            switch (event.path("type").asText()) {
                case "session_update" -> editor.notify("session/update", withSession(data));
                case "user_prompt" -> {
                    if (replay) {
                        ObjectNode p = ApiClient.JSON.createObjectNode().put("sessionId", sid);
                        p.putObject("update").put("sessionUpdate", "user_message_chunk").putObject("content")
                                .put("type", "text").put("text", data.path("text").asText());
                        editor.notify("session/update", p);
                    }
                }
                case "permission_request" -> {
                    if (!replay) askEditor(data);
                }
                case "error" -> lastError = data.path("message").asText();
                case "turn_end" -> {
                    Responder r = prompts.remove(data.path("deliveryId").asText());
                    if (r == null) return;
                    String stop = data.path("stopReason").asText("end_turn");
                    if (stop.equals("error")) {
                        r.fail(JsonRpcErrors.INTERNAL_ERROR, lastError == null ? "the turn failed" : lastError, null);
                    } else {
                        r.respond(ApiClient.JSON.createObjectNode().put("stopReason", stop));
                    }
                }
                default -> { }
            }
        }

        private void askEditor(JsonNode data) {
            String requestId = data.path("requestId").asText();
            ObjectNode params = withSession(data);
            params.remove("requestId");
            editor.call("session/request_permission", params, null).future().whenCompleteAsync((resp, err) -> {
                Map<String, Object> body = new LinkedHashMap<>();
                JsonNode outcome = resp == null ? null : resp.result().path("outcome");
                if (outcome != null && "selected".equals(outcome.path("outcome").asText())) {
                    body.put("optionId", outcome.path("optionId").asText());
                } else {
                    body.put("outcome", "cancelled");
                }
                try {
                    api.post("/api/v1/sessions/" + sid + "/permissions/" + requestId, body);
                } catch (CliException e) {
                    // answered elsewhere meanwhile: nothing to do
                }
            }, command -> Thread.ofVirtual().start(command));
        }

        private ObjectNode withSession(JsonNode data) {
            ObjectNode copy = data.isObject() ? ((ObjectNode) data).deepCopy() : ApiClient.JSON.createObjectNode();
            copy.put("sessionId", sid);
            return copy;
        }
    }

    AcpBridge(ApiClient api, String agent, Supplier<String> workspace) {
        this.api = api;
        this.agent = agent;
        this.workspace = workspace;
    }

    /** Serves the editor on these streams until it closes them. */
    void run(InputStream in, OutputStream out) throws InterruptedException {
        var closed = new CountDownLatch(1);
        editor = JsonRpcConnection.builder(in, out).withName("editor")
                .withRequestHandler("initialize", this::initialize)
                .withRequestHandler("session/new", (req, r) -> async(r, () -> newSession()))
                .withRequestHandler("session/load", (req, r) -> async(r, () -> loadSession(req.params())))
                .withRequestHandler("session/prompt", this::prompt)
                .withRequestHandler("session/set_mode", (req, r) -> async(r, () -> forward(req, "mode")))
                .withRequestHandler("session/set_config_option", (req, r) -> async(r, () -> forward(req, "config")))
                .withNotificationListener(n -> {
                    if (n.method().equals("session/cancel")) {
                        String sid = n.params().path("sessionId").asText();
                        Thread.ofVirtual().start(() -> api.post("/api/v1/sessions/" + sid + "/cancel", null));
                    }
                })
                .withConnectionListener(new dev.corral.acp.ConnectionListener() {
                    @Override
                    public void onClosed(dev.corral.acp.ConnectionClosedException reason) {
                        closed.countDown();
                    }
                })
                .start();
        closed.await();
        sessions.values().forEach(a -> a.socket.close());
    }

    private void initialize(JsonRpcMessage.Request req, Responder r) {
        ObjectNode result = ApiClient.JSON.createObjectNode().put("protocolVersion", 1);
        ObjectNode caps = result.putObject("agentCapabilities").put("loadSession", true);
        caps.putObject("promptCapabilities");
        caps.putObject("mcpCapabilities");
        result.putArray("authMethods");
        result.putObject("agentInfo").put("name", "corral:" + agent).put("version", dev.corral.Version.get());
        r.respond(result);
    }

    private JsonNode newSession() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agent", agent);
        JsonNode view = api.post("/api/v1/workspaces/" + workspace.get() + "/sessions", body);
        String sid = view.path("id").asText();
        sessions.put(sid, new Attached(sid, view.path("lastSeq").asLong(), 0));
        ObjectNode result = ApiClient.JSON.createObjectNode().put("sessionId", sid);
        for (String f : new String[] {"modes", "configOptions", "models"}) {
            if (view.hasNonNull(f)) result.set(f, view.get(f));
        }
        return result;
    }

    private JsonNode loadSession(JsonNode params) throws InterruptedException {
        String sid = params.path("sessionId").asText();
        JsonNode view = api.get("/api/v1/sessions/" + sid);
        Attached a = new Attached(sid, 0, view.path("lastSeq").asLong());
        Attached before = sessions.put(sid, a);
        if (before != null) before.socket.close();
        a.replayed.await();
        ObjectNode result = ApiClient.JSON.createObjectNode();
        for (String f : new String[] {"modes", "configOptions", "models"}) {
            if (view.hasNonNull(f)) result.set(f, view.get(f));
        }
        return result;
    }

    private void prompt(JsonRpcMessage.Request req, Responder r) {
        String sid = req.params().path("sessionId").asText();
        Attached a = sessions.get(sid);
        if (a == null) {
            r.fail(JsonRpcErrors.INVALID_PARAMS, "unknown session " + sid + "; use session/new or session/load", null);
            return;
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode block : req.params().path("prompt")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "resource_link" -> text.append(" ").append(block.path("uri").asText()).append(" ");
                case "resource" -> text.append("\n").append(block.path("resource").path("text").asText()).append("\n");
                default -> { }
            }
        }
        String deliveryId = "acp-" + UUID.randomUUID();
        a.prompts.put(deliveryId, r);
        a.socket.send(ApiClient.JSON.createObjectNode().put("type", "prompt").put("text", text.toString())
                .put("deliveryId", deliveryId));
    }

    private JsonNode forward(JsonRpcMessage.Request req, String route) {
        ObjectNode body = ((ObjectNode) req.params()).deepCopy();
        String sid = body.remove("sessionId").asText();
        JsonNode result = api.post("/api/v1/sessions/" + sid + "/" + route, body);
        return route.equals("mode") ? ApiClient.JSON.createObjectNode() : result;
    }

    @FunctionalInterface
    private interface Work {
        JsonNode run() throws Exception;
    }

    /** Runs API calls off the connection's dispatcher thread. */
    private static void async(Responder r, Work work) {
        Thread.ofVirtual().start(() -> {
            try {
                r.respond(work.run());
            } catch (CliException e) {
                r.fail(JsonRpcErrors.INTERNAL_ERROR, e.getMessage(), null);
            } catch (Exception e) {
                r.fail(JsonRpcErrors.INTERNAL_ERROR, String.valueOf(e), null);
            }
        });
    }
}
