package dev.corral.agents;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.ModelReply;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real opencode, installed from npm at its pinned version, run by the real daemon inside a workspace sandbox with
 * network mode {@code proxy}: the test's {@link FakeModelServer} listens on 127.0.0.2 (not the sandbox's own loopback)
 * and is reached only through the daemon's egress proxy, which allows that host ({@code network.allow}) and nothing
 * else. One turn runs a shell command and writes a file, both after permission answered
 * through the API; then the daemon is killed with -9 and restarted, the transcript is intact, and a follow-up prompt
 * works (the agent starts again and reloads its ACP session).
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class OpenCodeSessionEndToEndTest implements DaemonLogOnFailure.HasDaemon {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    dev.corral.testing.TestDaemon daemon;

    @Override
    public dev.corral.testing.TestDaemon daemon() {
        return daemon;
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void shellAndWriteWithPermissionsThenKillMinus9AndFollowUp() throws Exception {
        Path home = tmp.resolve("home");
        // Installed up front in this JVM (npm's cache makes it quick); the API call below then finds it installed.
        new AgentInstaller(home).install(AgentRegistry.load(home).get("opencode"), InstallListener.NONE);

        try (FakeModelServer model = FakeModelServer.start("127.0.0.2")) {
            model.enqueue(
                    ModelReply.of(new ModelReply.Text("I will run it."),
                            new ModelReply.ToolCall("bash", "{\"command\":\"echo hi > x.txt\",\"description\":\"Write hi\"}")),
                    ModelReply.of(new ModelReply.ToolCall("write",
                            "{\"filePath\":\"/workspace/notes.txt\",\"content\":\"from opencode\\n\"}")),
                    ModelReply.text("All done."));
            daemon = dev.corral.testing.TestDaemon.start(home);
            Api api = daemon.api();
            assertThat(api.post("/api/v1/agents/opencode/install", null).json().path("installed").asBoolean()).isTrue();
            String ws = api.createRunning("{\"name\":\"oc\",\"network\":{\"mode\":\"proxy\",\"allow\":[\"127.0.0.2\"]}}")
                    .path("id").asText();
            writeConfig(api, ws, model.baseUrl());

            Api.Response created = api.post("/api/v1/workspaces/" + ws + "/sessions", json("agent", "opencode"));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String sid = created.json().path("id").asText();
            assertThat(created.json().path("configOptions").toString()).contains("\"mode\"");

            assertThat(api.post("/api/v1/sessions/" + sid + "/prompt",
                    json("text", "run `echo hi > x.txt`, then write notes.txt", "deliveryId", "first")).status()).isEqualTo(202);
            answerPermission(api, sid, 1, "execute");
            answerPermission(api, sid, 2, "edit");
            List<JsonNode> events = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> events(api, sid), l -> l.stream().anyMatch(e -> type(e).equals("turn_end")));

            assertThat(api.get("/api/v1/workspaces/" + ws + "/files/x.txt").text()).isEqualTo("hi\n");
            assertThat(api.get("/api/v1/workspaces/" + ws + "/files/notes.txt").text()).isEqualTo("from opencode\n");
            assertGapFree(events);
            JsonNode end = events.stream().filter(e -> type(e).equals("turn_end")).findFirst().orElseThrow();
            assertThat(end.path("data").path("stopReason").asText()).isEqualTo("end_turn");
            assertThat(updates(events, "tool_call")).anySatisfy(u -> assertThat(u.path("kind").asText()).isEqualTo("execute"));
            assertThat(updates(events, "tool_call_update")).anySatisfy(u -> assertThat(u.path("status").asText()).isEqualTo("completed"));
            assertThat(text(events)).contains("I will run it.").endsWith("All done.");
            assertThat(api.get("/api/v1/sessions/" + sid + "/deliveries/first").json().path("state").asText()).isEqualTo("completed");
            assertThat(daemon.logText()).as("the model was reached through the egress proxy")
                    .contains("egress allowed: workspace " + ws + " -> " + model.baseUrl().substring("http://".length()));

            daemon.kill();
            daemon.restart();
            Api after = daemon.api();
            List<JsonNode> again = events(after, sid);
            assertGapFree(again);
            assertThat(again.subList(0, events.size())).isEqualTo(events);
            assertThat(again.getLast().path("data").path("state").asText()).isEqualTo("stopped");
            assertThat(after.get("/api/v1/sessions/" + sid).json().path("state").asText()).isEqualTo("stopped");

            model.enqueue(ModelReply.text("Second answer."));
            Api.Response follow = after.post("/api/v1/sessions/" + sid + "/prompt?wait=true", json("text", "and now?"));
            assertThat(follow.status()).as(follow.toString()).isEqualTo(200);
            assertThat(follow.json().path("stopReason").asText()).isEqualTo("end_turn");
            List<JsonNode> last = events(after, sid);
            assertGapFree(last);
            assertThat(text(last.subList(again.size(), last.size()))).contains("Second answer.");
            assertThat(last.subList(again.size(), last.size()).stream().filter(e -> type(e).equals("error")).toList())
                    .as("the agent reloaded its session").isEmpty();
        }
    }

    /** opencode's config in the workspace's persistent home (docs/agents.md), so it survives daemon restarts. */
    static void writeConfig(Api api, String ws, String modelBaseUrl) throws Exception {
        Map<String, Object> config = Map.of(
                "$schema", "https://opencode.ai/config.json",
                "autoupdate", false,
                "share", "disabled",
                "enabled_providers", List.of("fake"),
                "model", "fake/fake-model",
                "small_model", "fake/fake-model",
                "permission", Map.of("bash", "ask", "edit", "ask"),
                "provider", Map.of("fake", Map.of(
                        "npm", "@ai-sdk/openai-compatible",
                        "name", "Fake",
                        "options", Map.of("baseURL", modelBaseUrl + "/v1", "apiKey", "dummy"),
                        "models", Map.of("fake-model", Map.of("name", "Fake model", "tool_call", true)))));
        Api.Response r = api.post("/api/v1/workspaces/" + ws + "/exec", JSON.writeValueAsString(Map.of(
                "command", "mkdir -p ~/.config/opencode && cat > ~/.config/opencode/opencode.json",
                "stdin", JSON.writeValueAsString(config))));
        assertThat(r.json().path("exitCode").asInt()).as(r.toString()).isZero();
    }

    /** Waits for the n-th permission request, checks its tool kind, and allows it once through the API. */
    static void answerPermission(Api api, String sid, int n, String kind) {
        List<JsonNode> requests = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> events(api, sid).stream().filter(e -> type(e).equals("permission_request")).toList(),
                        l -> l.size() >= n);
        JsonNode data = requests.get(n - 1).path("data");
        assertThat(data.path("toolCall").path("kind").asText()).isEqualTo(kind);
        String optionId = null;
        for (JsonNode o : data.path("options")) if (o.path("kind").asText().equals("allow_once")) optionId = o.path("optionId").asText();
        Api.Response r = api.post("/api/v1/sessions/" + sid + "/permissions/" + data.path("requestId").asText(),
                json("optionId", optionId));
        assertThat(r.status()).as(r.toString()).isEqualTo(204);
    }

    static List<JsonNode> events(Api api, String sid) {
        Api.Response r = api.get("/api/v1/sessions/" + sid + "/events?after=0&limit=10000");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        var out = new ArrayList<JsonNode>();
        r.json().forEach(out::add);
        return out;
    }

    static String type(JsonNode e) {
        return e.path("type").asText();
    }

    static void assertGapFree(List<JsonNode> events) {
        for (int i = 0; i < events.size(); i++) assertThat(events.get(i).path("seq").asLong()).isEqualTo(i + 1);
    }

    static List<JsonNode> updates(List<JsonNode> events, String kind) {
        return events.stream().filter(e -> type(e).equals("session_update")).map(e -> e.path("data").path("update"))
                .filter(u -> u.path("sessionUpdate").asText().equals(kind)).toList();
    }

    static String text(List<JsonNode> events) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode u : updates(events, "agent_message_chunk")) sb.append(u.path("content").path("text").asText());
        return sb.toString();
    }
}
