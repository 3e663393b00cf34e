package dev.corral.agents;

import static dev.corral.agents.OpenCodeSessionEndToEndTest.answerPermission;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.assertGapFree;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.events;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.text;
import static dev.corral.agents.OpenCodeSessionEndToEndTest.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.sandbox.SandboxSpec;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.ModelReply;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * claude, codex and qwen through the daemon, sandboxed with network {@code proxy}: the fake model listens on 127.0.0.2
 * and is reached only through the daemon's egress proxy ({@code network.allow}); a shell command asked for and allowed
 * through the API writes a file. Hundreds of MB from npm each: {@code -Pall-agents}.
 * Their API keys come from the daemon's environment (registry {@code credentialEnv}); the rest from the session request
 * or files in the workspace home (docs/agents.md).
 */
@Tag("all-agents")
@Timeout(900)
@ExtendWith(DaemonLogOnFailure.class)
class AllAgentsSessionEndToEndTest implements DaemonLogOnFailure.HasDaemon {
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

    /** Runs the shell turn; {@code setup} prepares the workspace home and returns extra session request fields. */
    void shellTurn(String agent, ModelReply.ToolCall shell, Map<String, String> daemonEnv, Setup setup) throws Exception {
        shellTurn(agent, shell, daemonEnv, setup, r -> !r.toolNames().isEmpty());
    }

    /** As above; {@code mainTurn} picks the model requests that are the conversation (the rest are side requests). */
    void shellTurn(String agent, ModelReply.ToolCall shell, Map<String, String> daemonEnv, Setup setup,
                   java.util.function.Predicate<dev.corral.testing.RecordedRequest> mainTurn) throws Exception {
        Path home = tmp.resolve("home");
        new AgentInstaller(home).install(AgentRegistry.load(home).get(agent), InstallListener.NONE);
        try (FakeModelServer model = FakeModelServer.start("127.0.0.2").withScriptedWhen(mainTurn)) {
            model.enqueue(ModelReply.of(new ModelReply.Text("I will run it."), shell), ModelReply.text("All done."));
            daemon = TestDaemon.start(home, daemonEnv);
            Api api = daemon.api();
            String ws = api.createRunning("{\"name\":\"" + agent + "\",\"network\":{\"mode\":\"proxy\",\"allow\":[\"127.0.0.2\"]}}")
                    .path("id").asText();
            Map<String, Object> request = new HashMap<>(setup.prepare(api, ws, model.baseUrl(), home));
            request.put("agent", agent);
            Api.Response created = api.post("/api/v1/workspaces/" + ws + "/sessions", JSON.writeValueAsString(request));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String sid = created.json().path("id").asText();

            assertThat(api.post("/api/v1/sessions/" + sid + "/prompt", Api.json("text", "run `echo hi > x.txt`")).status())
                    .isEqualTo(202);
            answerPermission(api, sid, 1, "execute");
            List<JsonNode> events = await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(250))
                    .until(() -> events(api, sid), l -> l.stream().anyMatch(e -> type(e).equals("turn_end")));
            assertThat(api.get("/api/v1/workspaces/" + ws + "/files/x.txt").text()).isEqualTo("hi\n");
            assertGapFree(events);
            // Some agents send more updates after the turn (titles, usage): find the turn end rather than take the last event.
            JsonNode end = events.stream().filter(e -> type(e).equals("turn_end")).findFirst().orElseThrow();
            assertThat(end.path("data").path("stopReason").asText()).isEqualTo("end_turn");
            assertThat(text(events)).contains("I will run it.").contains("All done.");
            assertThat(daemon.logText()).as("the model was reached through the egress proxy")
                    .contains("egress allowed: workspace " + ws + " -> " + model.baseUrl().substring("http://".length()));
        }
    }

    @FunctionalInterface
    interface Setup {
        Map<String, Object> prepare(Api api, String ws, String modelBaseUrl, Path corralHome) throws Exception;
    }

    @Test
    void claude() throws Exception {
        shellTurn("claude", new ModelReply.ToolCall("Bash", "{\"command\":\"echo hi > x.txt\",\"description\":\"Write hi\"}"),
                Map.of("ANTHROPIC_API_KEY", "dummy"), (api, ws, url, home) -> {
                    // claude-agent-acp needs Node.js 22: installed like an agent, so it is mounted in the sandbox too.
                    InstalledAgent node = new AgentInstaller(home).install(AllAgentsEndToEndTest.NODE_22, InstallListener.NONE);
                    String nodeBin = SandboxSpec.AGENTS + "/" + home.resolve("agents").relativize(node.bin().getParent());
                    return Map.of("modeId", "default", "env", Map.of("ANTHROPIC_BASE_URL", url,
                            "PATH", nodeBin + ":" + String.join(":", SandboxSpec.basePath())));
                });
    }

    @Test
    void codex() throws Exception {
        shellTurn("codex", new ModelReply.ToolCall("exec_command",
                        "{\"cmd\":\"echo hi > x.txt\",\"sandbox_permissions\":\"require_escalated\",\"justification\":\"Write x.txt\"}"),
                Map.of("OPENAI_API_KEY", "unused"), (api, ws, url, home) -> {
                    String config = """
                            model = "gpt-5.1-codex"
                            model_provider = "fake"

                            [model_providers.fake]
                            name = "Fake"
                            base_url = "%s/v1"
                            wire_api = "responses"
                            env_key = "FAKE_API_KEY"
                            """.formatted(url);
                    Api.Response r = api.post("/api/v1/workspaces/" + ws + "/exec", JSON.writeValueAsString(Map.of(
                            "command", "mkdir -p ~/.codex && cat > ~/.codex/config.toml", "stdin", config)));
                    assertThat(r.json().path("exitCode").asInt()).as(r.toString()).isZero();
                    return Map.of("modeId", "read-only", "env", Map.of("FAKE_API_KEY", "dummy"));
                });
    }

    @Test
    void qwen() throws Exception {
        shellTurn("qwen", new ModelReply.ToolCall("run_shell_command", "{\"command\":\"echo hi > x.txt\",\"is_background\":false}"),
                Map.of("OPENAI_API_KEY", "dummy"), (api, ws, url, home) -> {
                    // qwen-code needs Node.js 22, mounted in the sandbox like an agent (as for claude).
                    InstalledAgent node = new AgentInstaller(home).install(AllAgentsEndToEndTest.NODE_22, InstallListener.NONE);
                    String nodeBin = SandboxSpec.AGENTS + "/" + home.resolve("agents").relativize(node.bin().getParent());
                    Api.Response r = api.post("/api/v1/workspaces/" + ws + "/exec", JSON.writeValueAsString(Map.of(
                            "command", "mkdir -p ~/.qwen && cat > ~/.qwen/settings.json",
                            "stdin", "{\"security\":{\"auth\":{\"selectedType\":\"openai\"}}}")));
                    assertThat(r.json().path("exitCode").asInt()).as(r.toString()).isZero();
                    return Map.of("modeId", "default", "env", Map.of("OPENAI_BASE_URL", url + "/v1", "OPENAI_MODEL", "fake-model",
                            "PATH", nodeBin + ":" + String.join(":", SandboxSpec.basePath())));
                },
                // Qwen also sends classifier and sub-agent requests with smaller tool sets; the conversation offers "agent".
                r -> r.toolNames().contains("agent"));
    }
}
