package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.acp.FakeAgentScript.Bytes;
import dev.corral.acp.FakeAgentScript.Crash;
import dev.corral.acp.FakeAgentScript.Line;
import dev.corral.acp.FakeAgentScript.Oversized;
import dev.corral.acp.FakeAgentScript.Request;
import dev.corral.acp.FakeAgentScript.Updates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Drives {@link JsonRpcConnection} against {@link FakeAgent} running as a real process. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonRpcConnectionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<JsonRpcMessage.Notification> notes = new CopyOnWriteArrayList<>();
    private final List<StreamProblem> problems = new CopyOnWriteArrayList<>();
    private final AtomicReference<ConnectionClosedException> closedWith = new AtomicReference<>();
    private FakeAgentProcess agent;
    private JsonRpcConnection conn;

    @AfterEach
    void tearDown() throws Exception {
        if (conn != null) {
            conn.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    private FakeAgentScript script = new FakeAgentScript();

    private JsonRpcConnection.Builder launch() {
        agent = FakeAgentProcess.start(dir, script.toJson());
        return agent.connect()
                .withName("fake")
                .withNotificationListener(notes::add)
                .withConnectionListener(new ConnectionListener() {
                    @Override
                    public void onProblem(StreamProblem problem) {
                        problems.add(problem);
                    }

                    @Override
                    public void onClosed(ConnectionClosedException reason) {
                        closedWith.set(reason);
                    }
                });
    }

    private RpcCall prompt() throws InterruptedException {
        assertThat(conn.call("initialize", JSON.createObjectNode().put("protocolVersion", 1), WAIT)
                .awaitResult().path("protocolVersion").asInt()).isEqualTo(1);
        String sid = conn.call("session/new", JSON.createObjectNode().put("cwd", "/workspace"), WAIT)
                .awaitResult().path("sessionId").asText();
        ObjectNode params = JSON.createObjectNode().put("sessionId", sid);
        params.putArray("prompt").addObject().put("type", "text").put("text", "hi");
        return conn.call("session/prompt", params, WAIT);
    }

    @Test
    void floodOfUpdatesArrivesInOrderAndBeforeTheTurnEnds() throws Exception {
        script.step(new Updates(10_000, List.of("agent_message_chunk", "session_info_update", "_vendor/x",
                "tool_call_update", "plan")));
        conn = launch().start();

        JsonNode result = prompt().awaitResult();

        // The answer is dispatched after every notification that preceded it, so no waiting is needed here.
        assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(notes).hasSize(10_000);
        for (int i = 0; i < notes.size(); i++) {
            assertThat(notes.get(i).params().at("/update/content/text").asText()).isEqualTo(Integer.toString(i));
            assertThat(notes.get(i).params().at("/update/sessionUpdate").asText())
                    .isEqualTo(List.of("agent_message_chunk", "session_info_update", "_vendor/x", "tool_call_update",
                            "plan").get(i % 5));
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void unknownAndExtensionMessagesKeepTheirExactText() throws Exception {
        List<String> exact = List.of(
                "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\"s\",\"update\":"
                        + "{\"sessionUpdate\":\"session_info_update\",\"title\":\"T\\u00e9st \\\"q\\\"\",\"x\":1.50}}}",
                "{ \"method\" : \"_vendor/x\", \"jsonrpc\":\"2.0\", \"params\": {\"big\": 123456789012345678901234567890,"
                        + " \"nested\": {\"a\": [1, 2.0, null, true]}, \"_meta\": {\"k\": \"v\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\"s\",\"update\":"
                        + "{\"sessionUpdate\":\"some_future_kind\",\"payload\":{\"emoji\":\"\uD83D\uDC0E\"}}}}");
        exact.forEach(line -> script.step(new Line(line)));
        conn = launch().start();

        prompt().await();

        assertThat(notes).extracting(JsonRpcMessage::raw).containsExactlyElementsOf(exact);
        assertThat(notes.get(0).rawParams()).contains("{\"sessionId\":\"s\",\"update\":"
                + "{\"sessionUpdate\":\"session_info_update\",\"title\":\"T\\u00e9st \\\"q\\\"\",\"x\":1.50}}");
        assertThat(notes).extracting(JsonRpcMessage.Notification::method)
                .containsExactly("session/update", "_vendor/x", "session/update");
    }

    @Test
    void agentRequestIdsAreKeptApartFromOurs() throws Exception {
        script.withFirstId(1) // our initialize, session/new and session/prompt are 1, 2 and 3
                .step(new Request("fs/read_text_file", JSON.createObjectNode().put("path", "/workspace/a.txt")))
                .step(new Request("_vendor/unknown", JSON.createObjectNode()))
                .step(new Request("terminal/create", JSON.createObjectNode().put("command", "ls")));
        conn = launch()
                .withRequestHandler("fs/read_text_file", (req, r) -> r.respond(
                        JSON.createObjectNode().put("content", "read " + req.params().path("path").asText())))
                .withRequestHandler("terminal/create", (req, r) -> r.respond(
                        JSON.createObjectNode().put("terminalId", "t-" + req.id().asText())))
                .start();

        RpcCall prompt = prompt();
        assertThat(prompt.id()).isEqualTo(3);
        assertThat(prompt.awaitResult().path("stopReason").asText()).isEqualTo("end_turn");

        List<JsonNode> answers = new ArrayList<>();
        for (String line : agent.received()) {
            JsonNode m = JSON.readTree(line);
            if (!m.has("method")) {
                answers.add(m);
            }
        }
        assertThat(answers).hasSize(3);
        assertThat(answers.get(0).get("id").asLong()).isEqualTo(1);
        assertThat(answers.get(0).at("/result/content").asText()).isEqualTo("read /workspace/a.txt");
        assertThat(answers.get(1).get("id").asLong()).isEqualTo(2);
        assertThat(answers.get(1).at("/error/code").asInt()).isEqualTo(JsonRpcErrors.METHOD_NOT_FOUND);
        assertThat(answers.get(2).get("id").asLong()).isEqualTo(3);
        assertThat(answers.get(2).at("/result/terminalId").asText()).isEqualTo("t-3");
        assertThat(problems).isEmpty();
    }

    @Test
    void permissionRequestCanBeAnsweredLaterFromAnotherThread() throws Exception {
        ObjectNode params = JSON.createObjectNode().put("sessionId", "fake-session-1");
        params.putObject("toolCall").put("toolCallId", "call-1");
        params.putArray("options").addObject().put("optionId", "allow").put("kind", "allow_once").put("name", "Allow");
        script.step(new Request("session/request_permission", params)).step(new Updates(1, List.of()));
        var asked = new AtomicReference<Responder>();
        var request = new AtomicReference<JsonRpcMessage.Request>();
        conn = launch().withRequestHandler("session/request_permission", (req, r) -> {
            request.set(req);
            asked.set(r);
        }).start();

        RpcCall prompt = prompt();
        await().atMost(WAIT).until(() -> asked.get() != null);
        assertThat(request.get().params().at("/toolCall/toolCallId").asText()).isEqualTo("call-1");
        assertThat(prompt.isDone()).isFalse();

        ObjectNode outcome = JSON.createObjectNode();
        outcome.putObject("outcome").put("outcome", "selected").put("optionId", "allow");
        Thread.ofVirtual().start(() -> asked.get().respond(outcome)).join();

        assertThat(prompt.awaitResult().path("stopReason").asText()).isEqualTo("end_turn");
        assertThat(asked.get().respond(outcome)).as("second answer is refused").isFalse();
        assertThat(notes).hasSize(1);
        assertThat(agent.received()).anySatisfy(line -> assertThat(JSON.readTree(line).at("/result/outcome/optionId")
                .asText()).isEqualTo("allow"));
    }

    @Test
    void badLinesAreReportedAndTheStreamGoesOn() throws Exception {
        byte[] badUtf8 = "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"text\":\"a\u0000b\"}}"
                .replace("\u0000", "\uFFFF").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // Replace the three bytes of U+FFFF with an invalid sequence: a lone continuation byte and a truncated lead.
        int at = indexOf(badUtf8, (byte) 0xEF);
        badUtf8[at] = (byte) 0x80;
        badUtf8[at + 1] = (byte) 0xC3;
        badUtf8[at + 2] = (byte) 'z';
        script.step(new Line("npm WARN deprecated something@1.0"))
                .step(new Line("{\"jsonrpc\":\"2.0\",\"method\":"))
                .step(new Line("[1,2,3]"))
                .step(new Oversized(3 * 1024 * 1024))
                .step(new Bytes(badUtf8))
                .step(new Updates(3, List.of()));
        conn = launch().withMaxLineBytes(1024 * 1024).start();

        assertThat(prompt().awaitResult().path("stopReason").asText()).isEqualTo("end_turn");

        assertThat(problems).hasSize(5);
        assertThat(problems.get(0)).isInstanceOfSatisfying(StreamProblem.Garbage.class,
                g -> assertThat(g.line()).isEqualTo("npm WARN deprecated something@1.0"));
        assertThat(problems.get(1)).isInstanceOf(StreamProblem.Garbage.class);
        assertThat(problems.get(2)).isInstanceOfSatisfying(StreamProblem.Garbage.class,
                g -> assertThat(g.reason()).isEqualTo("not a JSON object"));
        assertThat(problems.get(3)).isInstanceOfSatisfying(StreamProblem.OversizedLine.class,
                o -> assertThat(o.bytes()).isEqualTo(3 * 1024 * 1024));
        assertThat(problems.get(4)).isInstanceOf(StreamProblem.InvalidUtf8.class);
        assertThat(notes).hasSize(4);
        assertThat(notes.get(0).params().path("text").asText()).isEqualTo("a\uFFFD\uFFFDzb");
        assertThat(notes.subList(1, 4)).extracting(n -> n.params().at("/update/content/text").asText())
                .containsExactly("0", "1", "2");
    }

    @Test
    void crashMidTurnFailsPendingAndLaterCalls() throws Exception {
        script.step(new Updates(5, List.of())).step(new Crash());
        conn = launch().start();

        RpcCall prompt = prompt();

        assertThatThrownBy(prompt::await).isInstanceOf(ConnectionClosedException.class);
        assertThat(agent.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.process.exitValue()).isEqualTo(3);
        await().atMost(WAIT).until(() -> closedWith.get() != null);
        assertThat(notes).hasSize(5);
        assertThat(conn.isClosed()).isTrue();
        RpcCall late = conn.call("session/cancel", null, WAIT);
        assertThat(late.isDone()).isTrue();
        assertThatThrownBy(late::await).isInstanceOf(ConnectionClosedException.class);
        assertThat(conn.notify("session/cancel", null)).isFalse();
    }

    @Test
    void deadlineAndCancelEndCallsWithoutSendingAnything() throws Exception {
        script.withHangInInitialize();
        conn = launch().start();

        RpcCall init = conn.call("initialize", JSON.createObjectNode().put("protocolVersion", 1),
                Duration.ofMillis(300));
        assertThatThrownBy(init::await).isInstanceOf(CallTimeoutException.class);
        RpcCall other = conn.call("authenticate", JSON.createObjectNode(), null);
        assertThat(other.id()).isNotEqualTo(init.id());
        assertThat(other.cancel()).isTrue();
        assertThatThrownBy(other::await).isInstanceOf(CancellationException.class);
        assertThat(other.cancel()).isFalse();

        assertThat(agent.process.isAlive()).isTrue();
        assertThat(conn.isClosed()).isFalse();
        // The agent answers authenticate with -32601 after we stopped waiting: reported, not delivered.
        await().atMost(WAIT).until(() -> !problems.isEmpty());
        assertThat(problems).singleElement().isInstanceOf(StreamProblem.UnmatchedResponse.class);
        assertThat(agent.received()).hasSize(2);
    }

    @Test
    void errorAnswerFailsTheCallWithTheAgentsError() throws Exception {
        conn = launch().start();

        RpcCall call = conn.call("session/list", JSON.createObjectNode(), WAIT);

        assertThatThrownBy(call::await).isInstanceOfSatisfying(JsonRpcErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(JsonRpcErrors.METHOD_NOT_FOUND));
    }

    @Test
    void extensionRequestsReachTheFallbackHandler() throws Exception {
        script.step(new Request("_vendor/ask", JSON.createObjectNode().put("q", 1)));
        var seen = new CopyOnWriteArrayList<String>();
        conn = launch().withFallbackRequestHandler((req, r) -> {
            seen.add(req.method() + " " + req.rawParams().orElseThrow());
            r.respondRaw("{\"a\": 1.50}");
        }).start();

        prompt().await();

        assertThat(seen).containsExactly("_vendor/ask {\"q\":1}");
        assertThat(agent.received()).contains("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\": 1.50}}");
    }

    @Test
    void concurrentWritesNeverInterleave() throws Exception {
        var sink = new java.io.ByteArrayOutputStream();
        var neverSpeaks = new java.io.PipedInputStream(new java.io.PipedOutputStream());
        conn = JsonRpcConnection.builder(neverSpeaks, sink).start();
        String big = "y".repeat(10_000);
        var threads = new ArrayList<Thread>();
        for (int t = 0; t < 16; t++) {
            int id = t;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 200; i++) {
                    conn.notify("n", JSON.createObjectNode().put("t", id).put("i", i).put("pad", big));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }

        String[] lines = sink.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(16 * 200);
        for (String line : lines) {
            assertThat(JSON.readTree(line).at("/params/pad").asText()).isEqualTo(big);
        }
    }

    @Test
    void cancelNotificationEndsTheTurnAsCancelled() throws Exception {
        script.step(new Updates(2, List.of())).step(new FakeAgentScript.AwaitCancel());
        conn = launch().start();

        RpcCall prompt = prompt();
        await().atMost(WAIT).until(() -> notes.size() == 2);
        assertThat(prompt.isDone()).isFalse();
        assertThat(conn.notify("session/cancel", JSON.createObjectNode().put("sessionId", "fake-session-1"))).isTrue();

        assertThat(prompt.awaitResult().path("stopReason").asText()).isEqualTo("cancelled");
        assertThat(agent.received()).last().satisfies(line ->
                assertThat(JSON.readTree(line).path("method").asText()).isEqualTo("session/cancel"));
    }

    @Test
    void brokenPipeFailsPendingCallsAndReportsTheClose() throws Exception {
        var neverSpeaks = new java.io.PipedInputStream(new java.io.PipedOutputStream());
        var brokenPipe = new java.io.OutputStream() {
            volatile boolean broken;

            @Override
            public void write(int b) throws java.io.IOException {
                if (broken) {
                    throw new java.io.IOException("Broken pipe");
                }
            }
        };
        conn = JsonRpcConnection.builder(neverSpeaks, brokenPipe).withName("gone")
                .withConnectionListener(new ConnectionListener() {
                    @Override
                    public void onClosed(ConnectionClosedException reason) {
                        closedWith.set(reason);
                    }
                }).start();
        RpcCall pending = conn.call("session/prompt", JSON.createObjectNode(), null);
        brokenPipe.broken = true;

        RpcCall next = conn.call("session/prompt", JSON.createObjectNode(), null);

        assertThatThrownBy(next::await).isInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining("Broken pipe");
        assertThatThrownBy(pending::await).isInstanceOf(ConnectionClosedException.class);
        assertThat(closedWith.get()).isNotNull().hasMessageContaining("writing to agent gone failed");
        assertThat(conn.isClosed()).isTrue();
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException();
    }
}
