package dev.corral.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.MiniAcpClient;
import dev.corral.testing.ModelReply;
import dev.corral.testing.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Installs the pinned opencode-ai with {@link AgentInstaller} (npm registry needed once; npm's cache makes reruns
 * fast) and drives one scripted turn over ACP against {@link FakeModelServer}: text, a bash tool call that needs
 * permission and writes a file, then text. The agent runs as a plain host process; its model traffic goes only
 * to 127.0.0.1 (see docs/agents.md for what else it would contact, and why none of it is needed).
 */
@Timeout(240)
class OpenCodeEndToEndTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path corralHome;
    @TempDir Path home;
    @TempDir Path workspace;

    @Test
    void shellToolCallWithPermissionWritesAFile() throws Exception {
        AgentEntry entry = AgentRegistry.load(corralHome).get("opencode");
        InstalledAgent agent = new AgentInstaller(corralHome).install(entry, InstallListener.NONE);

        try (FakeModelServer model = FakeModelServer.start()) {
            model.enqueue(
                    ModelReply.of(new ModelReply.Text("I will run it."),
                            new ModelReply.ToolCall("bash", "{\"command\":\"echo hi > x.txt\",\"description\":\"Write hi\"}")),
                    ModelReply.text("All done."));

            ProcessBuilder pb = new ProcessBuilder(agent.command()).directory(workspace.toFile());
            pb.environment().putAll(agent.env());
            pb.environment().putAll(openCodeEnv(home, model.baseUrl()));
            try (MiniAcpClient acp = new MiniAcpClient(pb.start())) {
                JsonNode init = acp.request("initialize", Map.of("protocolVersion", 1,
                        "clientCapabilities", Map.of("fs", Map.of("readTextFile", true, "writeTextFile", true), "terminal", true),
                        "clientInfo", Map.of("name", "corral-test", "version", "0")), Duration.ofSeconds(60));
                assertThat(init.path("protocolVersion").asInt()).isEqualTo(1);
                assertThat(init.path("agentCapabilities").path("loadSession").asBoolean()).isTrue();

                JsonNode session = acp.request("session/new", Map.of("cwd", workspace.toString(), "mcpServers", List.of()),
                        Duration.ofSeconds(60));
                String sessionId = session.path("sessionId").asText();
                assertThat(sessionId).isNotBlank();

                JsonNode result = acp.request("session/prompt", Map.of("sessionId", sessionId,
                        "prompt", List.of(Map.of("type", "text", "text", "run `echo hi > x.txt`"))), Duration.ofSeconds(90));

                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
                assertThat(Files.readString(workspace.resolve("x.txt"))).isEqualTo("hi\n");
                assertThat(acp.agentRequests("session/request_permission")).singleElement().satisfies(p -> {
                    assertThat(p.path("toolCall").path("kind").asText()).isEqualTo("execute");
                    assertThat(p.path("options").findValuesAsText("kind")).contains("allow_once", "reject_once");
                });
                List<JsonNode> updates = acp.updates();
                assertThat(updates).anySatisfy(u -> assertThat(u.path("sessionUpdate").asText()).isEqualTo("tool_call"));
                assertThat(updates).anySatisfy(u -> {
                    assertThat(u.path("sessionUpdate").asText()).isEqualTo("tool_call_update");
                    assertThat(u.path("status").asText()).isEqualTo("completed");
                });
                assertThat(text(updates)).contains("I will run it.").endsWith("All done.");
                assertThat(acp.noise()).isEmpty();

                List<RecordedRequest> turns = model.requests().stream()
                        .filter(r -> r.path().equals("/v1/chat/completions") && !r.toolNames().isEmpty()).toList();
                assertThat(turns).hasSize(2);
                assertThat(turns.getFirst().toolNames()).contains("bash");
                assertThat(turns.getLast().json().path("messages").findValuesAsText("role")).contains("tool");
            }
        }
    }

    /** Everything OpenCode needs to run against the fake model with no other network (docs/agents.md). */
    static Map<String, String> openCodeEnv(Path home, String modelBaseUrl) throws Exception {
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
        return Map.of(
                "HOME", home.toString(),
                "XDG_CONFIG_HOME", home.resolve(".config").toString(),
                "XDG_DATA_HOME", home.resolve(".local/share").toString(),
                "XDG_CACHE_HOME", home.resolve(".cache").toString(),
                "XDG_STATE_HOME", home.resolve(".local/state").toString(),
                "OPENCODE_CONFIG_CONTENT", JSON.writeValueAsString(config),
                "OPENCODE_DISABLE_MODELS_FETCH", "1",
                "OPENCODE_DISABLE_AUTOUPDATE", "1",
                "OPENCODE_DISABLE_LSP_DOWNLOAD", "1");
    }

    static String text(List<JsonNode> updates) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode u : updates) {
            if (u.path("sessionUpdate").asText().equals("agent_message_chunk")) sb.append(u.path("content").path("text").asText());
        }
        return sb.toString();
    }
}
