package dev.corral.agents;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.ModelReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Installs the pinned opencode-ai with {@link AgentInstaller} (npm registry needed once; npm's cache makes reruns
 * fast) and drives one scripted turn over ACP against {@link dev.corral.testing.FakeModelServer}: text, a bash tool call that needs
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
        new ShellTurnScenario("opencode",
                new ModelReply.ToolCall("bash", "{\"command\":\"echo hi > x.txt\",\"description\":\"Write hi\"}"),
                (url, h) -> openCodeEnv(h, url), null, List.of(), List.of())
                .run(corralHome, home, workspace);
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
}
