package dev.corral.agents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.FakeModelServer;
import dev.corral.testing.MiniAcpClient;
import dev.corral.testing.ModelReply;
import dev.corral.testing.RecordedRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One scripted turn that every agent must pass: the model says a sentence, calls the agent's shell tool to run
 * {@code echo hi > x.txt}, and after the tool result says "All done.". The client allows the permission request.
 * The agent runs as a plain host process with its own temporary {@code HOME}; only the fake model is contacted.
 *
 * @param shellTool the agent's shell tool call as the model would make it
 * @param env       the agent's configuration, given the fake server's base URL (no trailing slash)
 * @param modeId    passed to {@code session/set_mode} before the prompt, or null
 * @param extraArgs appended to the registry's arguments
 * @param path      directories put first on PATH (e.g. a newer Node.js), or empty
 * @param mainTurn  which model requests are the conversation (the rest are side requests); default: any with tools
 */
record ShellTurnScenario(String agentId, ModelReply.ToolCall shellTool, EnvFactory env, String modeId,
                         List<String> extraArgs, List<Path> path, Predicate<RecordedRequest> mainTurn) {

    ShellTurnScenario(String agentId, ModelReply.ToolCall shellTool, EnvFactory env, String modeId,
                      List<String> extraArgs, List<Path> path) {
        this(agentId, shellTool, env, modeId, extraArgs, path, r -> !r.toolNames().isEmpty());
    }

    static final String COMMAND = "echo hi > x.txt";

    @FunctionalInterface
    interface EnvFactory {
        Map<String, String> env(String modelBaseUrl, Path home) throws Exception;
    }

    /** Installs the agent into {@code corralHome} and runs the turn; returns the client for more assertions. */
    void run(Path corralHome, Path home, Path workspace) throws Exception {
        InstalledAgent agent = new AgentInstaller(corralHome).install(AgentRegistry.load(corralHome).get(agentId), InstallListener.NONE);
        try (FakeModelServer model = FakeModelServer.start().withScriptedWhen(mainTurn)) {
            model.enqueue(ModelReply.of(new ModelReply.Text("I will run it."), shellTool), ModelReply.text("All done."));

            List<String> command = new ArrayList<>(agent.command());
            command.addAll(extraArgs);
            ProcessBuilder pb = new ProcessBuilder(command).directory(workspace.toFile());
            Map<String, String> env = new HashMap<>(agent.env());
            env.put("HOME", home.toString());
            env.putAll(this.env.env(model.baseUrl(), home));
            if (!path.isEmpty()) {
                List<String> dirs = new ArrayList<>(path.stream().map(Path::toString).toList());
                dirs.add(System.getenv("PATH"));
                env.put("PATH", String.join(":", dirs));
            }
            pb.environment().putAll(env);

            try (MiniAcpClient acp = new MiniAcpClient(pb.start())) {
                JsonNode init = acp.request("initialize", Map.of("protocolVersion", 1,
                        "clientCapabilities", Map.of("fs", Map.of("readTextFile", true, "writeTextFile", true), "terminal", true),
                        "clientInfo", Map.of("name", "corral-test", "version", "0")), Duration.ofSeconds(90));
                assertThat(init.path("protocolVersion").asInt()).isEqualTo(1);
                assertThat(init.path("agentCapabilities").path("loadSession").asBoolean()).as("loadSession").isTrue();

                String sessionId = acp.request("session/new", Map.of("cwd", workspace.toString(), "mcpServers", List.of()),
                        Duration.ofSeconds(90)).path("sessionId").asText();
                assertThat(sessionId).isNotBlank();
                if (modeId != null) {
                    acp.request("session/set_mode", Map.of("sessionId", sessionId, "modeId", modeId), Duration.ofSeconds(30));
                }

                JsonNode result = acp.request("session/prompt", Map.of("sessionId", sessionId,
                        "prompt", List.of(Map.of("type", "text", "text", "run `" + COMMAND + "`"))), Duration.ofSeconds(120));

                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
                assertThat(Files.readString(workspace.resolve("x.txt"))).isEqualTo("hi\n");
                assertThat(acp.agentRequests("session/request_permission")).singleElement().satisfies(p -> {
                    assertThat(p.path("toolCall").path("kind").asText()).isEqualTo("execute");
                    assertThat(p.path("options").findValuesAsText("kind")).contains("allow_once", "reject_once");
                });
                List<JsonNode> updates = acp.updates();
                assertThat(updates).anySatisfy(u -> {
                    assertThat(u.path("sessionUpdate").asText()).isEqualTo("tool_call_update");
                    assertThat(u.path("status").asText()).isEqualTo("completed");
                });
                assertThat(text(updates)).contains("I will run it.").endsWith("All done.");
                assertThat(acp.noise()).as("non-JSON stdout lines").isEmpty();

                List<RecordedRequest> withTools = model.requests().stream().filter(mainTurn).toList();
                assertThat(withTools).hasSizeGreaterThanOrEqualTo(2);
                assertThat(withTools.getFirst().toolNames()).contains(shellTool.name());
            }
        }
    }

    static String text(List<JsonNode> updates) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode u : updates) {
            if (u.path("sessionUpdate").asText().equals("agent_message_chunk")) sb.append(u.path("content").path("text").asText());
        }
        return sb.toString();
    }
}
