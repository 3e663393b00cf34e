package dev.corral.acp;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session host through the real daemon's API, with {@link FakeAgent} started by the daemon INSIDE the workspace's
 * bubblewrap sandbox as an installed registry agent ({@link SandboxedFakeAgent}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class SessionApiTest implements DaemonLogOnFailure.HasDaemon {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCRIPT = "/workspace/.fake/script.json";
    static final String RECORD = "/home/corral/received.jsonl";

    @TempDir
    static Path tmp;

    static TestDaemon daemon;
    static Api api;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    static void start() {
        SandboxedFakeAgent.install(tmp.resolve("home"));
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("FAKE_AGENT_KEY", "from-the-daemon", "OTHER_SECRET", "nope",
                "ACP_PROMPT_RETRY_INITIAL_BACKOFF", "100ms"));
        api = daemon.api();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** A running workspace with the script in it, and a fake-agent session ready in it; returns the session id. */
    static String session(String workspace, FakeAgentScript script, String extra) {
        assertThat(api.put("/api/v1/workspaces/" + workspace + "/files/.fake/script.json",
                script.toJson().getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        Api.Response r = api.post("/api/v1/workspaces/" + workspace + "/sessions",
                "{\"agent\":\"fake\",\"args\":[\"" + SCRIPT + "\",\"" + RECORD + "\"]" + extra + "}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().path("state").asText()).isEqualTo("ready");
        assertThat(r.json().path("agentCapabilities").path("loadSession").asBoolean()).isTrue();
        return r.json().path("id").asText();
    }

    static List<JsonNode> events(String sid) {
        Api.Response r = api.get("/api/v1/sessions/" + sid + "/events?after=0");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        var out = new ArrayList<JsonNode>();
        r.json().forEach(out::add);
        return out;
    }

    static List<JsonNode> awaitEvent(String sid, String type, int count) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> events(sid), l -> l.stream().filter(e -> e.path("type").asText().equals(type)).count() >= count);
    }

    static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("type").asText()).toList();
    }

    static void assertGapFree(List<JsonNode> events) {
        for (int i = 0; i < events.size(); i++) assertThat(events.get(i).path("seq").asLong()).isEqualTo(i + 1);
    }

    @Test
    void permissionRoundTripThroughTheApiAndUpdatesKeptVerbatim() throws Exception {
        String ws = api.createRunning(json("name", "perm")).path("id").asText();
        String exact = "{\"sessionId\":\"fake-session-1\",\"update\":{\"sessionUpdate\":\"_vendor/odd\",\"n\":1.50e3,"
                + "\"s\":\"\\u00e9\\n\",\"nested\":{\"z\":[1, 2 ,3]}}}";
        ObjectMapper m = JSON;
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Updates(3, List.of("agent_message_chunk", "brand_new_kind", "_x/y")))
                .step(new FakeAgentScript.Line("{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":" + exact + "}"))
                .step(new FakeAgentScript.Request("session/request_permission", m.readTree("""
                        {"sessionId":"fake-session-1","toolCall":{"toolCallId":"t1","kind":"execute","title":"rm -rf x"},
                         "options":[{"optionId":"yes","kind":"allow_once","name":"Yes"},
                                    {"optionId":"no","kind":"reject_once","name":"No"}]}""")))
                .step(new FakeAgentScript.Updates(1, List.of("tool_call_update")));
        assertThat(api.send("PUT", "/api/v1/credentials/fake", "{\"env\":{\"FAKE_STORED\":\"from-the-vault\"}}"
                .getBytes(StandardCharsets.UTF_8), "application/json").status()).isIn(200, 204);
        String sid = session(ws, script, "");

        Api.Response p = api.post("/api/v1/sessions/" + sid + "/prompt", json("text", "go", "deliveryId", "d-1"));
        assertThat(p.status()).isEqualTo(202);
        assertThat(p.json().path("deliveryId").asText()).isEqualTo("d-1");

        JsonNode request = awaitEvent(sid, "permission_request", 1).stream()
                .filter(e -> e.path("type").asText().equals("permission_request")).findFirst().orElseThrow();
        String requestId = request.path("data").path("requestId").asText();
        assertThat(request.path("data").path("toolCall").path("title").asText()).isEqualTo("rm -rf x");
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("pendingPermissions").has(requestId)).isTrue();
        assertThat(api.get("/api/v1/sessions/" + sid + "/deliveries/d-1").json().path("state").asText()).isEqualTo("in_flight");

        assertThat(api.post("/api/v1/sessions/" + sid + "/permissions/" + requestId, json("optionId", "maybe")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/sessions/" + sid + "/permissions/" + requestId, json("optionId", "yes")).status())
                .isEqualTo(204);
        assertThat(api.post("/api/v1/sessions/" + sid + "/permissions/" + requestId, json("optionId", "yes")).status())
                .isEqualTo(404);

        List<JsonNode> events = awaitEvent(sid, "turn_end", 1);
        assertGapFree(events);
        assertThat(types(events)).containsExactly("agent_state", "agent_state", "user_prompt", "session_update",
                "session_update", "session_update", "session_update", "permission_request", "permission_response",
                "session_update", "turn_end");
        assertThat(events.get(0).path("data").path("state").asText()).isEqualTo("starting");
        assertThat(events.get(1).path("data").path("state").asText()).isEqualTo("ready");
        assertThat(events.get(2).path("data").path("text").asText()).isEqualTo("go");
        assertThat(events.subList(3, 6).stream().map(e -> e.path("data").path("update").path("sessionUpdate").asText()))
                .containsExactly("agent_message_chunk", "brand_new_kind", "_x/y");
        // The raw event text holds the agent's params byte for byte (number spelling, escapes, spaces).
        String raw = api.get("/api/v1/sessions/" + sid + "/events?after=6&limit=1").text();
        assertThat(raw).contains("\"data\":" + exact);
        assertThat(events.get(8).path("data").path("optionId").asText()).isEqualTo("yes");
        assertThat(events.get(10).path("data").path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(api.get("/api/v1/sessions/" + sid + "/deliveries/d-1").json().path("state").asText()).isEqualTo("completed");

        // The agent got the answer, and only its own credential from the daemon's environment.
        String received = api.sh(ws, "cat " + RECORD).path("stdout").asText();
        assertThat(received).contains("\"outcome\":{\"outcome\":\"selected\",\"optionId\":\"yes\"}");
        String env = api.sh(ws, "cat /proc/$(pgrep -f dev[.]corral[.]acp[.]FakeAgent | head -1)/environ | tr '\\0' '\\n'").path("stdout").asText();
        assertThat(env).contains("FAKE_AGENT_KEY=from-the-daemon").contains("FAKE_DEFAULT=1").doesNotContain("OTHER_SECRET")
                .contains("FAKE_STORED=from-the-vault");

        // A repeated delivery id runs nothing again.
        Api.Response again = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "go", "deliveryId", "d-1"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(events(sid)).hasSize(events.size());
    }

    @Test
    void fileSystemMethodsAreConfinedToTheWorkspace() throws Exception {
        String ws = api.createRunning(json("name", "fs")).path("id").asText();
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Request("fs/write_text_file", JSON.readTree(
                        "{\"sessionId\":\"fake-session-1\",\"path\":\"/workspace/out/new.txt\",\"content\":\"hello\\n\"}")))
                .step(new FakeAgentScript.Request("fs/read_text_file", JSON.readTree(
                        "{\"sessionId\":\"fake-session-1\",\"path\":\"/workspace/out/new.txt\"}")))
                .step(new FakeAgentScript.Request("fs/read_text_file", JSON.readTree(
                        "{\"sessionId\":\"fake-session-1\",\"path\":\"/workspace/missing.txt\"}")))
                .step(new FakeAgentScript.Request("fs/read_text_file", JSON.readTree(
                        "{\"sessionId\":\"fake-session-1\",\"path\":\"/etc/hostname\"}")))
                .step(new FakeAgentScript.Request("fs/write_text_file", JSON.readTree(
                        "{\"sessionId\":\"fake-session-1\",\"path\":\"/workspace/../escape.txt\",\"content\":\"x\"}")));
        String sid = session(ws, script, "");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "files"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("stopReason").asText()).isEqualTo("end_turn");

        assertThat(api.get("/api/v1/workspaces/" + ws + "/files/out/new.txt").text()).isEqualTo("hello\n");
        List<JsonNode> answers = new ArrayList<>();
        for (String line : api.sh(ws, "cat " + RECORD).path("stdout").asText().split("\n")) {
            JsonNode n = JSON.readTree(line);
            if (!n.has("method") && n.path("id").asLong() >= 1) answers.add(n);
        }
        // ids 1..5 are the agent's fs requests, in order
        assertThat(answers).hasSize(5);
        assertThat(answers.get(0).has("result")).isTrue();
        assertThat(answers.get(1).path("result").path("content").asText()).isEqualTo("hello\n");
        assertThat(answers.get(2).path("error").path("code").asInt()).isEqualTo(-32002);
        assertThat(answers.get(3).path("error").path("code").asInt()).isEqualTo(-32602);
        assertThat(answers.get(4).has("error")).isTrue();
        assertThat(api.sh(ws, "test -e /escape.txt; echo $?").path("stdout").asText().trim()).isEqualTo("1");
    }

    @Test
    void aCrashIsRecordedAndTheAgentRestartsWithBackoffAndSessionLoad() throws Exception {
        String ws = api.createRunning(json("name", "crash")).path("id").asText();
        String sid = session(ws, new FakeAgentScript().step(new FakeAgentScript.Updates(2, List.of())).step(new FakeAgentScript.Crash()), "");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "crash now", "deliveryId", "c-1"));
        assertThat(r.json().path("stopReason").asText()).isEqualTo("error");
        assertThat(api.get("/api/v1/sessions/" + sid + "/deliveries/c-1").json().path("state").asText()).isEqualTo("ambiguous");

        // Restarted on its own after the backoff, reattached to the same ACP session with session/load.
        List<JsonNode> events = await().atMost(Duration.ofSeconds(60)).until(() -> events(sid),
                l -> l.stream().filter(e -> e.path("data").path("state").asText().equals("ready")).count() == 2);
        assertGapFree(events);
        List<String> states = events.stream().filter(e -> e.path("type").asText().equals("agent_state"))
                .map(e -> e.path("data").path("state").asText()).toList();
        assertThat(states).containsExactly("starting", "ready", "crashed", "restarting", "starting", "ready");
        JsonNode crashed = events.stream().filter(e -> e.path("data").path("state").asText().equals("crashed")).findFirst().orElseThrow();
        assertThat(crashed.path("data").path("exitCode").asInt()).isEqualTo(3);
        JsonNode restarting = events.stream().filter(e -> e.path("data").path("state").asText().equals("restarting")).findFirst().orElseThrow();
        assertThat(restarting.path("data").path("attempt").asInt()).isEqualTo(1);
        assertThat(types(events)).containsSubsequence("user_prompt", "session_update", "session_update", "error", "turn_end");
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("state").asText()).isEqualTo("ready");
        String received = api.sh(ws, "cat " + RECORD).path("stdout").asText();
        assertThat(received).contains("\"method\":\"session/load\"");
    }

    @Test
    void theWebSocketReplaysThenStreamsLiveWithoutGapsAndTakesPromptsAndAnswers() throws Exception {
        String ws = api.createRunning(json("name", "socket")).path("id").asText();
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Updates(200, List.of("agent_message_chunk", "plan")))
                .step(new FakeAgentScript.Request("session/request_permission", JSON.readTree("""
                        {"sessionId":"fake-session-1","toolCall":{"toolCallId":"t1","kind":"edit","title":"write"},
                         "options":[{"optionId":"ok","kind":"allow_once","name":"OK"}]}""")))
                .step(new FakeAgentScript.Updates(200, List.of()));
        String sid = session(ws, script, "");
        String base = daemon.url().replace("http", "ws") + "/api/v1/sessions/" + sid + "/ws";

        // Without the token the upgrade is refused.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SessionSocketClient.connect(base))
                .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
                .hasStackTraceContaining("status code 401");

        try (var early = SessionSocketClient.connect(base + "?token=" + daemon.token())) {
            await().atMost(Duration.ofSeconds(10)).until(() -> early.events().size() >= 2); // starting, ready
            early.send("{\"type\":\"prompt\",\"text\":\"over the socket\"}");
            JsonNode perm = await().atMost(Duration.ofSeconds(60)).until(() -> early.events().stream()
                    .filter(e -> e.path("type").asText().equals("permission_request")).findFirst(), java.util.Optional::isPresent).get();
            early.send("{\"type\":\"permission\",\"requestId\":\"" + perm.path("data").path("requestId").asText()
                    + "\",\"optionId\":\"ok\"}");
            await().atMost(Duration.ofSeconds(60)).until(() -> early.events().stream()
                    .anyMatch(e -> e.path("type").asText().equals("turn_end")));
            assertThat(early.replies()).extracting(r -> r.path("reply").asText()).containsExactly("prompt", "ok");
            List<JsonNode> seen = early.events();
            for (int i = 0; i < seen.size(); i++) assertThat(seen.get(i).path("seq").asLong()).isEqualTo(i + 1);
            assertThat(seen).hasSize(events(sid).size());

            // A late viewer asking after seq 100 gets exactly the rest, in order.
            try (var late = SessionSocketClient.connect(base + "?after=100&token=" + daemon.token())) {
                await().atMost(Duration.ofSeconds(10)).until(() -> late.events().size() == seen.size() - 100);
                assertThat(late.events().getFirst().path("seq").asLong()).isEqualTo(101);
                assertThat(late.events().getLast().path("type").asText()).isEqualTo("turn_end");
            }
        }
        try (var unknown = SessionSocketClient.connect(daemon.url().replace("http", "ws")
                + "/api/v1/sessions/ses-nope/ws?token=" + daemon.token())) {
            assertThat(unknown.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4404);
        }
    }

    @Test
    void agentsAreListedWithTheirInstallState() {
        JsonNode agents = api.get("/api/v1/agents").json();
        JsonNode fake = null;
        for (JsonNode a : agents) if (a.path("id").asText().equals("fake")) fake = a;
        assertThat(fake).isNotNull();
        assertThat(fake.path("installed").asBoolean()).isTrue();
        assertThat(fake.path("credentialEnv").get(0).asText()).isEqualTo("FAKE_AGENT_KEY");
        for (JsonNode a : agents) {
            if (a.path("id").asText().equals("claude")) assertThat(a.path("egress").toString()).contains("api.anthropic.com");
        }
        assertThat(api.post("/api/v1/agents/fake/install", null).json().path("installed").asBoolean()).isTrue();
        assertThat(api.post("/api/v1/agents/nope/install", null).status()).isEqualTo(404);
        assertThat(api.post("/api/v1/workspaces/nope/sessions", "{\"agent\":\"fake\"}").status()).isEqualTo(404);
        assertThat(api.post("/api/v1/workspaces/nope/sessions", "{\"agnt\":\"fake\"}").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/sessions/ses-nope/events").status()).isEqualTo(404);
    }

    @Test
    void cancelEndsTheTurnAndAnswersHeldPermissionsCancelled() throws Exception {
        String ws = api.createRunning(json("name", "cancel")).path("id").asText();
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Request("session/request_permission", JSON.readTree("""
                        {"sessionId":"fake-session-1","toolCall":{"toolCallId":"t1","kind":"execute","title":"sleep"},
                         "options":[{"optionId":"ok","kind":"allow_once","name":"OK"}]}""")))
                .step(new FakeAgentScript.AwaitCancel());
        String sid = session(ws, script, "");
        api.post("/api/v1/sessions/" + sid + "/prompt", json("text", "wait"));
        awaitEvent(sid, "permission_request", 1);
        assertThat(api.post("/api/v1/sessions/" + sid + "/cancel", null).status()).isEqualTo(204);
        List<JsonNode> events = awaitEvent(sid, "turn_end", 1);
        assertGapFree(events);
        JsonNode response = events.stream().filter(e -> e.path("type").asText().equals("permission_response")).findFirst().orElseThrow();
        assertThat(response.path("data").path("outcome").asText()).isEqualTo("cancelled");
        assertThat(events.getLast().path("data").path("stopReason").asText()).isEqualTo("cancelled");
        assertThat(api.sh(ws, "cat " + RECORD).path("stdout").asText()).contains("\"method\":\"session/cancel\"");
    }

    @Test
    void garbageInvalidUtf8AndOversizedLinesBecomeErrorEventsAndTheTurnGoesOn() throws Exception {
        String ws = api.createRunning(json("name", "garbage")).path("id").asText();
        byte[] badUtf8 = "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\"fake-session-1\",\"update\":{\"sessionUpdate\":\"agent_message_chunk\",\"content\":{\"type\":\"text\",\"text\":\"a?b\"}}}}"
                .getBytes(StandardCharsets.UTF_8);
        badUtf8[new String(badUtf8, StandardCharsets.UTF_8).indexOf("a?b") + 1] = (byte) 0xff;
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Line("Starting up... not JSON"))
                .step(new FakeAgentScript.Bytes(badUtf8))
                .step(new FakeAgentScript.Oversized(17 * 1024 * 1024))
                .step(new FakeAgentScript.Updates(1, List.of()));
        String sid = session(ws, script, "");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "noise"));
        assertThat(r.json().path("stopReason").asText()).isEqualTo("end_turn");
        List<JsonNode> events = events(sid);
        assertGapFree(events);
        assertThat(types(events)).containsExactly("agent_state", "agent_state", "user_prompt", "error", "error",
                "session_update", "error", "session_update", "turn_end");
        assertThat(events.get(3).path("data").path("kind").asText()).isEqualTo("stdout_garbage");
        assertThat(events.get(4).path("data").path("kind").asText()).isEqualTo("invalid_utf8");
        assertThat(events.get(5).path("data").path("update").path("content").path("text").asText()).isEqualTo("a\uFFFDb");
        assertThat(events.get(6).path("data").path("kind").asText()).isEqualTo("oversized_line");
    }

    @Test
    void aHangingInitializeFailsTheCreateWithTheAgentsStderr() throws Exception {
        String ws = api.createRunning(json("name", "hang")).path("id").asText();
        assertThat(api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json",
                new FakeAgentScript().withHangInInitialize().toJson().getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        Api.Response r = api.post("/api/v1/workspaces/" + ws + "/sessions",
                "{\"agent\":\"fake\",\"args\":[\"" + SCRIPT + "\",\"" + RECORD + "\"]}");
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.json().path("code").asText()).isEqualTo("agent_start_failed");
        assertThat(r.json().path("error").asText()).contains("initialize").contains("hanging in initialize");
        JsonNode session = api.get("/api/v1/workspaces/" + ws + "/sessions").json().get(0);
        assertThat(session.path("state").asText()).isEqualTo("crashed");
        List<JsonNode> events = events(session.path("id").asText());
        assertThat(types(events)).containsExactly("agent_state", "agent_state");
        assertThat(events.get(1).path("data").path("stderr").toString()).contains("hanging in initialize");
    }

    @Test
    void stopEndsTheAgentAndDeleteRemovesTheSession() throws Exception {
        String ws = api.createRunning(json("name", "stopdel")).path("id").asText();
        String sid = session(ws, new FakeAgentScript(), "");
        assertThat(api.post("/api/v1/sessions/" + sid + "/suspend", null).json().path("state").asText()).isEqualTo("suspended");
        Api.Response resumed = api.post("/api/v1/sessions/" + sid + "/resume", null);
        assertThat(resumed.json().path("state").asText()).as(resumed.toString()).isEqualTo("ready");
        assertThat(events(sid).stream().filter(e -> e.path("data").path("state").asText().equals("ready"))).hasSize(2);
        Api.Response stopped = api.post("/api/v1/sessions/" + sid + "/stop", null);
        assertThat(stopped.json().path("state").asText()).isEqualTo("stopped");
        List<JsonNode> events = await().atMost(Duration.ofSeconds(20)).until(() -> events(sid),
                l -> l.getLast().path("data").path("state").asText().equals("stopped"));
        assertGapFree(events);
        assertThat(api.sh(ws, "pgrep -f 'dev[.]corral[.]acp[.]FakeAgent' || true").path("stdout").asText()).isBlank();
        assertThat(api.delete("/api/v1/sessions/" + sid).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/sessions/" + sid).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/sessions").json()).isEmpty();
    }

    @Test
    void modelAndConfigChoicesReachTheAgentAndStayInTheSession() throws Exception {
        String ws = api.createRunning(json("name", "models")).path("id").asText();
        // An agent that reports models (as codex and gemini do): the choice goes out as session/set_model.
        String sid = session(ws, new FakeAgentScript().withNewSession("{\"models\":{\"currentModelId\":\"small\","
                + "\"availableModels\":[{\"modelId\":\"small\",\"name\":\"Small\"},{\"modelId\":\"large\",\"name\":\"Large\"}]}}"), "");
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("models").path("currentModelId").asText()).isEqualTo("small");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/model", json("modelId", "large"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("model").asText()).isEqualTo("large");
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("models").path("currentModelId").asText()).isEqualTo("large");
        assertThat(api.sh(ws, "grep -c '\"method\":\"session/set_model\".*\"modelId\":\"large\"' " + RECORD)
                .path("stdout").asText().strip()).isEqualTo("1");
        assertThat(api.post("/api/v1/sessions/" + sid + "/model", json("modelId", " ")).status()).isEqualTo(400);

        // An agent with a "model" config option (as opencode): the choice goes out as session/set_config_option, and
        // the agent's answer replaces the stored options.
        assertThat(api.delete("/api/v1/sessions/" + sid).status()).isEqualTo(204);
        sid = session(ws, new FakeAgentScript().withNewSession("{\"configOptions\":[{\"id\":\"model\",\"name\":\"Model\","
                + "\"type\":\"select\",\"currentValue\":\"small\",\"options\":[{\"value\":\"small\",\"name\":\"Small\"},"
                + "{\"value\":\"large\",\"name\":\"Large\"}]}]}"), "");
        r = api.post("/api/v1/sessions/" + sid + "/model", json("modelId", "large"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("configOptions").path(0).path("currentValue").asText()).isEqualTo("large");
        assertThat(api.sh(ws, "grep -c '\"method\":\"session/set_config_option\".*\"configId\":\"model\"' " + RECORD)
                .path("stdout").asText().strip()).isEqualTo("1");
        r = api.post("/api/v1/sessions/" + sid + "/config", json("configId", "model", "value", "small"));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("configOptions").path(0).path("currentValue").asText())
                .isEqualTo("small");
    }

    @Test
    void terminalMethodsRunCommandsInTheSandbox() throws Exception {
        String ws = api.createRunning(json("name", "term")).path("id").asText();
        var script = new FakeAgentScript()
                .step(req("terminal/create", "{\"command\":\"sh\",\"args\":[\"-c\",\"hostname; pwd; echo $GREETING >&2; exit 3\"],"
                        + "\"env\":[{\"name\":\"GREETING\",\"value\":\"hello\"}]}"))
                .step(req("terminal/wait_for_exit", "{\"terminalId\":\"${1.terminalId}\"}"))
                .step(req("terminal/output", "{\"terminalId\":\"${1.terminalId}\"}"))
                .step(req("terminal/create", "{\"command\":\"printf\",\"args\":[\"abcdefghij\"],\"outputByteLimit\":4,\"cwd\":\"/tmp\"}"))
                .step(req("terminal/wait_for_exit", "{\"terminalId\":\"${4.terminalId}\"}"))
                .step(req("terminal/output", "{\"terminalId\":\"${4.terminalId}\"}"))
                .step(req("terminal/create", "{\"command\":\"sleep\",\"args\":[\"100\"]}"))
                .step(req("terminal/kill", "{\"terminalId\":\"${7.terminalId}\"}"))
                .step(req("terminal/wait_for_exit", "{\"terminalId\":\"${7.terminalId}\"}"))
                .step(req("terminal/release", "{\"terminalId\":\"${1.terminalId}\"}"))
                .step(req("terminal/output", "{\"terminalId\":\"${1.terminalId}\"}"));
        String sid = session(ws, script, "");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "terminals"));
        assertThat(r.json().path("stopReason").asText()).isEqualTo("end_turn");
        List<JsonNode> answers = new ArrayList<>();
        for (String line : api.sh(ws, "cat " + RECORD).path("stdout").asText().split("\n")) {
            JsonNode n = JSON.readTree(line);
            if (!n.has("method") && n.path("id").asLong() >= 1) answers.add(n);
        }
        assertThat(answers).hasSize(11);
        assertThat(answers.get(0).path("result").path("terminalId").asText()).matches("term-[0-9a-f]{12}");
        assertThat(answers.get(1).path("result").path("exitCode").asInt()).isEqualTo(3);
        assertThat(answers.get(2).path("result").path("output").asText()).isEqualTo(ws + "\n/workspace\nhello\n");
        assertThat(answers.get(2).path("result").path("exitStatus").path("exitCode").asInt()).isEqualTo(3);
        assertThat(answers.get(5).path("result").path("output").asText()).isEqualTo("ghij");
        assertThat(answers.get(5).path("result").path("truncated").asBoolean()).isTrue();
        assertThat(answers.get(8).path("result").path("signal").asText()).isEqualTo("SIGKILL");
        assertThat(answers.get(10).path("error").path("code").asInt()).isEqualTo(-32602);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.sh(ws, "pgrep -f 'slee[p] 100' || true").path("stdout").asText()).isBlank());

        // Each ended command is in the transcript with its output, so it outlives the release (and the agent).
        var ids = List.of(0, 3, 6).stream().map(i -> answers.get(i).path("result").path("terminalId").asText()).toList();
        assertThat(ids).doesNotHaveDuplicates();
        Map<String, JsonNode> exits = new java.util.HashMap<>();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            exits.clear();
            events(sid).stream().filter(e -> e.path("type").asText().equals("terminal_exit"))
                    .forEach(e -> exits.put(e.path("data").path("terminalId").asText(), e.path("data")));
            assertThat(exits.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        });
        JsonNode first = exits.get(ids.get(0));
        assertThat(first.path("command").asText()).isEqualTo("sh");
        assertThat(first.path("args").path(1).asText()).startsWith("hostname;");
        assertThat(first.path("output").asText()).isEqualTo(ws + "\n/workspace\nhello\n");
        assertThat(first.path("exitStatus").path("exitCode").asInt()).isEqualTo(3);
        assertThat(exits.get(ids.get(1)).path("output").asText()).isEqualTo("ghij");
        assertThat(exits.get(ids.get(1)).path("truncated").asBoolean()).isTrue();
        assertThat(exits.get(ids.get(1)).path("cwd").asText()).isEqualTo("/tmp");
        assertThat(exits.get(ids.get(2)).path("exitStatus").path("signal").asText()).isEqualTo("SIGKILL");
        assertGapFree(events(sid));
    }

    @Test
    void aRunningAgentTerminalsOutputCanBeReadUntilItEnds() throws Exception {
        String ws = api.createRunning(json("name", "liveterm")).path("id").asText();
        var script = new FakeAgentScript()
                .step(req("terminal/create", "{\"command\":\"sh\",\"args\":[\"-c\",\"echo live-$((40+2)); exec sleep 120\"]}"))
                .step(new FakeAgentScript.Notify("session/update", JSON.readTree("{\"sessionId\":\"fake-session-1\",\"update\":"
                        + "{\"sessionUpdate\":\"tool_call\",\"toolCallId\":\"c1\",\"title\":\"sleep\",\"kind\":\"execute\","
                        + "\"content\":[{\"type\":\"terminal\",\"terminalId\":\"${1.terminalId}\"}]}}")))
                .step(new FakeAgentScript.AwaitCancel());
        String sid = session(ws, script, "");
        assertThat(api.post("/api/v1/sessions/" + sid + "/prompt", json("text", "run")).status()).isEqualTo(202);
        String tid = awaitEvent(sid, "session_update", 1).stream().filter(e -> e.path("data").path("update").has("toolCallId"))
                .findFirst().orElseThrow().path("data").path("update").path("content").path(0).path("terminalId").asText();
        assertThat(tid).startsWith("term-");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode t = api.get("/api/v1/sessions/" + sid + "/terminals/" + tid).json();
            assertThat(t.path("output").asText()).isEqualTo("live-42\n");
            assertThat(t.path("running").asBoolean()).isTrue();
        });
        assertThat(api.get("/api/v1/sessions/" + sid + "/terminals/term-000000000000").status()).isEqualTo(404);
        JsonNode all = api.get("/api/v1/sessions/" + sid + "/terminals").json();
        assertThat(all.size()).isEqualTo(1);
        assertThat(all.path(0).path("terminalId").asText()).isEqualTo(tid);
        // The agent ends: its terminals are killed, the output moves to the transcript and the live view is gone.
        assertThat(api.post("/api/v1/sessions/" + sid + "/cancel", "{}").status()).isLessThan(300);
        assertThat(api.post("/api/v1/sessions/" + sid + "/stop", "{}").status()).isEqualTo(200);
        JsonNode exit = awaitEvent(sid, "terminal_exit", 1).stream().filter(e -> e.path("type").asText().equals("terminal_exit"))
                .findFirst().orElseThrow().path("data");
        assertThat(exit.path("terminalId").asText()).isEqualTo(tid);
        assertThat(exit.path("output").asText()).isEqualTo("live-42\n");
        assertThat(exit.path("exitStatus").path("signal").asText()).isEqualTo("SIGKILL");
        Api.Response gone = api.get("/api/v1/sessions/" + sid + "/terminals/" + tid);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().path("code").asText()).isEqualTo("terminal_not_found");
        assertThat(api.get("/api/v1/sessions/" + sid + "/terminals").json().size()).isZero();
    }

    static FakeAgentScript.Request req(String method, String paramsWithoutSession) throws Exception {
        var params = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(paramsWithoutSession);
        params.put("sessionId", "fake-session-1");
        return new FakeAgentScript.Request(method, params);
    }

    @Test
    void aTransientErrorBeforeAnyOutputIsRetriedAndAPermanentOneIsNot() throws Exception {
        // Our ids: initialize 1, session/new 2, session/prompt 3; the script answers 3 with an error first.
        String transientError = "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32603,\"message\":\"Internal error\","
                + "\"data\":{\"details\":\"503 Service Unavailable: model overloaded\"}}}";
        String ws = api.createRunning(json("name", "retry")).path("id").asText();
        String sid = session(ws, new FakeAgentScript().step(new FakeAgentScript.Line(transientError))
                .step(new FakeAgentScript.Updates(1, List.of())), "");
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "retry me", "deliveryId", "r-1"));
        assertThat(r.json().path("stopReason").asText()).isEqualTo("end_turn");
        List<JsonNode> events = events(sid);
        assertGapFree(events);
        assertThat(events.stream().filter(e -> e.path("data").path("retry").asInt() == 1)).hasSize(1);
        assertThat(events.stream().filter(e -> e.path("data").has("retry"))).hasSize(1);
        assertThat(api.get("/api/v1/sessions/" + sid + "/deliveries/r-1").json().path("state").asText()).isEqualTo("completed");
        assertThat(api.sh(ws, "grep -c session/prompt " + RECORD).path("stdout").asText().trim()).isEqualTo("2");

        String ws2 = api.createRunning(json("name", "noretry")).path("id").asText();
        String sid2 = session(ws2, new FakeAgentScript().step(new FakeAgentScript.Line(
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"Invalid params: prompt\"}}")), "");
        Api.Response r2 = api.post("/api/v1/sessions/" + sid2 + "/prompt?wait=true", json("text", "bad"));
        assertThat(r2.json().path("stopReason").asText()).isEqualTo("error");
        assertThat(events(sid2).stream().filter(e -> e.path("data").has("retry"))).isEmpty();
        assertThat(events(sid2).stream().filter(e -> e.path("data").path("message").asText().contains("refused the prompt"))).hasSize(1);
    }

    @Test
    void allowReadsAnswersReadRequestsAndHoldsTheRest() throws Exception {
        String ws = api.createRunning(json("name", "reads")).path("id").asText();
        var script = new FakeAgentScript()
                .step(req("session/request_permission", """
                        {"toolCall":{"toolCallId":"t1","kind":"read","title":"cat README"},
                         "options":[{"optionId":"r-yes","kind":"allow_once","name":"Yes"},{"optionId":"r-no","kind":"reject_once","name":"No"}]}"""))
                .step(req("session/request_permission", """
                        {"toolCall":{"toolCallId":"t2","kind":"execute","title":"rm"},
                         "options":[{"optionId":"x-yes","kind":"allow_once","name":"Yes"},{"optionId":"x-no","kind":"reject_once","name":"No"}]}"""));
        String sid = session(ws, script, ",\"permissionPolicy\":\"allow-reads\"");
        assertThat(api.get("/api/v1/sessions/" + sid).json().path("permissionPolicy").asText()).isEqualTo("allow-reads");
        api.post("/api/v1/sessions/" + sid + "/prompt", json("text", "read then run"));
        List<JsonNode> events = awaitEvent(sid, "permission_request", 2);
        List<JsonNode> responses = events.stream().filter(e -> e.path("type").asText().equals("permission_response")).toList();
        assertThat(responses).hasSize(1);
        assertThat(responses.getFirst().path("data").path("optionId").asText()).isEqualTo("r-yes");
        assertThat(responses.getFirst().path("data").path("by").asText()).isEqualTo("policy");
        String held = events.getLast().path("data").path("requestId").asText();
        assertThat(api.post("/api/v1/sessions/" + sid + "/permissions/" + held, "{\"outcome\":\"cancelled\"}").status()).isEqualTo(204);
        assertThat(awaitEvent(sid, "turn_end", 1).getLast().path("data").path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(api.post("/api/v1/workspaces/" + ws + "/sessions", "{\"agent\":\"fake\",\"permissionPolicy\":\"maybe\"}").status())
                .isEqualTo(400);
    }
}
