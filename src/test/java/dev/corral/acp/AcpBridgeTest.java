package dev.corral.acp;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code corral acp} as a separate process, driven over stdio by an ACP client (Corral's own {@link JsonRpcConnection}
 * playing the editor), with the fake agent running sandboxed behind the daemon.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class AcpBridgeTest implements DaemonLogOnFailure.HasDaemon {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    TestDaemon daemon;
    final List<Process> bridges = new CopyOnWriteArrayList<>();

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : bridges) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (daemon != null) daemon.close();
    }

    /** Starts {@code corral acp …}; the returned connection is the editor's side. */
    JsonRpcConnection bridge(List<JsonNode> updates, String... args) throws Exception {
        List<String> cmd = TestDaemon.javaCommand();
        cmd.add("acp");
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("CORRAL_HOME", daemon.home().toString());
        pb.environment().put("CORRAL_URL", daemon.url());
        Process p = pb.start();
        bridges.add(p);
        return JsonRpcConnection.builder(p.getInputStream(), p.getOutputStream()).withName("bridge")
                .withNotificationListener(n -> {
                    if (n.method().equals("session/update")) updates.add(n.params());
                })
                .withRequestHandler("session/request_permission", (req, r) -> {
                    ObjectNode result = JSON.createObjectNode();
                    result.putObject("outcome").put("outcome", "selected").put("optionId", "yes");
                    r.respond(result);
                })
                .start();
    }

    @Test
    void anEditorDrivesASandboxedAgentThroughTheBridgeAndReloadsTheSession() throws Exception {
        SandboxedFakeAgent.install(tmp.resolve("home"));
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "editor")).path("id").asText();
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Updates(5, List.of("agent_message_chunk", "_vendor/x")))
                .step(new FakeAgentScript.Request("session/request_permission", JSON.readTree("""
                        {"sessionId":"fake-session-1","toolCall":{"toolCallId":"t1","kind":"execute","title":"ls"},
                         "options":[{"optionId":"yes","kind":"allow_once","name":"Yes"},{"optionId":"no","kind":"reject_once","name":"No"}]}""")))
                .step(new FakeAgentScript.Updates(2, List.of()));
        api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json", script.toJson().getBytes(StandardCharsets.UTF_8));

        List<JsonNode> updates = new CopyOnWriteArrayList<>();
        JsonRpcConnection editor = bridge(updates, "--workspace", ws, "--agent", "fake");
        JsonNode init = editor.call("initialize", JSON.createObjectNode().put("protocolVersion", 1), Duration.ofSeconds(60)).awaitResult();
        assertThat(init.path("agentCapabilities").path("loadSession").asBoolean()).isTrue();
        String sid = editor.call("session/new", JSON.readTree("{\"cwd\":\"/home/me/project\",\"mcpServers\":[]}"),
                Duration.ofSeconds(60)).awaitResult().path("sessionId").asText();
        assertThat(sid).startsWith("ses-");
        JsonNode result = editor.call("session/prompt", JSON.readTree("{\"sessionId\":\"" + sid
                + "\",\"prompt\":[{\"type\":\"text\",\"text\":\"hello from the editor\"}]}"), Duration.ofSeconds(60)).awaitResult();
        assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        await().atMost(Duration.ofSeconds(10)).until(() -> updates.size() == 7);
        assertThat(updates).allSatisfy(u -> assertThat(u.path("sessionId").asText()).isEqualTo(sid));
        assertThat(updates.get(1).path("update").path("sessionUpdate").asText()).isEqualTo("_vendor/x");
        JsonNode events = api.get("/api/v1/sessions/" + sid + "/events").json();
        boolean answered = false;
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("permission_response")) answered = e.path("data").path("optionId").asText().equals("yes");
            if (e.path("type").asText().equals("user_prompt")) assertThat(e.path("data").path("text").asText()).isEqualTo("hello from the editor");
        }
        assertThat(answered).as("the editor's permission answer reached the agent").isTrue();
        editor.close();

        // A second editor loads the session: the transcript comes back as updates, the prompt as a user message.
        List<JsonNode> replay = new CopyOnWriteArrayList<>();
        JsonRpcConnection again = bridge(replay, "--workspace", ws, "--agent", "fake");
        again.call("initialize", JSON.createObjectNode().put("protocolVersion", 1), Duration.ofSeconds(60)).awaitResult();
        again.call("session/load", JSON.readTree("{\"sessionId\":\"" + sid + "\",\"cwd\":\"/x\",\"mcpServers\":[]}"),
                Duration.ofSeconds(60)).awaitResult();
        assertThat(replay).hasSize(8);
        assertThat(replay.getFirst().path("update").path("sessionUpdate").asText()).isEqualTo("user_message_chunk");
        assertThat(replay.getFirst().path("update").path("content").path("text").asText()).isEqualTo("hello from the editor");
        again.close();
    }
}
