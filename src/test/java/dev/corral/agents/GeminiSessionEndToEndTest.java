package dev.corral.agents;

import static dev.corral.agents.OpenCodeSessionEndToEndTest.answerPermission;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.assertGapFree;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.events;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.text;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.type;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.updates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.ModelReply;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Gemini CLI (Node.js) through the daemon, sandboxed with network {@code proxy}: the fake model listens on
 * 127.0.0.2 and is reached only through the daemon's egress proxy ({@code network.allow}); Gemini CLI routes its
 * requests there because it honours {@code HTTPS_PROXY} (it installs an undici proxy dispatcher of its own).
 * Its API key comes from the daemon's own environment (its registry {@code credentialEnv}); the base URL and model come
 * from the session request. It is not offered ACP fs (docs/agents.md), so it writes with its own tools in the sandbox.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class GeminiSessionEndToEndTest implements DaemonLogOnFailure.HasDaemon {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    TestDaemon daemon;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    @Test
    void shellCommandWithPermissionThroughTheApi() throws Exception {
        Path home = tmp.resolve("home");
        new AgentInstaller(home).install(AgentRegistry.load(home).get("gemini"), InstallListener.NONE);
        try (FakeModelServer model = FakeModelServer.start("127.0.0.2")) {
            model.enqueue(
                    ModelReply.of(new ModelReply.Text("I will run it."),
                            new ModelReply.ToolCall("run_shell_command", "{\"command\":\"echo hi > x.txt\"}")),
                    ModelReply.text("All done."));
            daemon = TestDaemon.start(home, Map.of("GEMINI_API_KEY", "dummy"));
            Api api = daemon.api();
            String ws = api.createRunning("{\"name\":\"gem\",\"network\":{\"mode\":\"proxy\",\"allow\":[\"127.0.0.2\"]}}")
                    .path("id").asText();

            Api.Response created = api.post("/api/v1/workspaces/" + ws + "/sessions", JSON.writeValueAsString(Map.of(
                    "agent", "gemini", "args", List.of("-m", "gemini-2.5-flash"),
                    "env", Map.of("GOOGLE_GEMINI_BASE_URL", model.baseUrl()))));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String sid = created.json().path("id").asText();
            assertThat(created.json().path("modes").toString()).contains("default");

            assertThat(api.post("/api/v1/sessions/" + sid + "/prompt", Api.json("text", "run `echo hi > x.txt`")).status())
                    .isEqualTo(202);
            answerPermission(api, sid, 1, "execute");
            List<JsonNode> events = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> events(api, sid), l -> l.stream().anyMatch(e -> type(e).equals("turn_end")));

            assertThat(api.get("/api/v1/workspaces/" + ws + "/files/x.txt").text()).isEqualTo("hi\n");
            assertGapFree(events);
            JsonNode end = events.stream().filter(e -> type(e).equals("turn_end")).findFirst().orElseThrow();
            assertThat(end.path("data").path("stopReason").asText()).isEqualTo("end_turn");
            assertThat(updates(events, "tool_call_update")).anySatisfy(u -> assertThat(u.path("status").asText()).isEqualTo("completed"));
            assertThat(text(events)).contains("I will run it.").contains("All done.");
            assertThat(daemon.logText()).as("the model was reached through the egress proxy")
                    .contains("egress allowed: workspace " + ws + " -> " + model.baseUrl().substring("http://".length()));
        }
    }
}
