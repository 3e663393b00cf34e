package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.api.TerminalSocketClient;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Terminals through the real daemon: PTYs in real bwrap sandboxes, driven over a real WebSocket client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class TerminalsApiTest implements DaemonLogOnFailure.HasDaemon {
    /** Small, so that overflowing it and lagging behind it are quick. */
    private static final int RING = 64 * 1024;

    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    String ws;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("CORRAL_TERMINAL_RING_BYTES", String.valueOf(RING)));
        api = daemon.api();
        ws = api.createRunning(json("name", "terms")).path("id").asText();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    private JsonNode newTerminal(String workspace, String body) {
        var r = api.post("/api/v1/workspaces/" + workspace + "/terminals", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        assertThat(r.json().path("terminalId").asText()).isNotEmpty();
        return r.json();
    }

    private String shell() {
        return newTerminal(ws, json("cols", 80, "rows", 24)).path("terminalId").asText();
    }

    private String socketUrl(String workspace, String tid, long offset) {
        return "ws://127.0.0.1:" + daemon.port() + "/api/v1/workspaces/" + workspace + "/terminals/" + tid
                + "?offset=" + offset + "&token=" + daemon.token();
    }

    private TerminalSocketClient connect(String tid, long offset) throws Exception {
        return TerminalSocketClient.connect(socketUrl(ws, tid, offset));
    }

    private static void awaitText(TerminalSocketClient c, String text) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(c.text()).contains(text));
    }

    private long offsetOf(String tid) {
        var list = api.get("/api/v1/workspaces/" + ws + "/terminals").json();
        for (JsonNode t : list) {
            if (t.path("terminalId").asText().equals(tid)) return t.path("offset").asLong();
        }
        throw new AssertionError("terminal " + tid + " not listed: " + list);
    }

    @Test
    void shellRunsInTheSandbox() throws Exception {
        var tid = shell();
        try (var c = connect(tid, 0)) {
            c.send("echo \"$(hostname)|$(pwd)|$(id -un)\"\n");
            awaitText(c, ws + "|/workspace|");
            assertThat(c.texts().getFirst()).startsWith("{\"type\":\"replay\",\"from\":0,");
            assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json().path("title").asText()).isEqualTo("bash");
        }
    }

    @Test
    void resizeReachesTheProgram() throws Exception {
        var tid = shell();
        try (var c = connect(tid, 0)) {
            c.sendText("{\"type\":\"resize\",\"cols\":111,\"rows\":33}");
            c.send("stty size\n");
            awaitText(c, "33 111");
        }
        var listed = api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json();
        assertThat(listed.path("cols").asInt()).isEqualTo(111);
        assertThat(listed.path("rows").asInt()).isEqualTo(33);
    }

    @Test
    void reconnectWithOffsetGetsExactlyTheMissedBytes() throws Exception {
        var tid = shell();
        long seen;
        try (var a = connect(tid, 0)) {
            a.send("echo before-$((6*7))\n");
            awaitText(a, "before-42");
            seen = a.byteCount();
        }
        try (var b = connect(tid, seen)) {
            b.send("echo missed-$((6*8))\n");
            awaitText(b, "missed-48");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> offsetOf(tid) > seen);
        try (var all = connect(tid, 0)) {
            long end = offsetOf(tid);
            await().atMost(Duration.ofSeconds(10)).until(() -> all.byteCount() >= end);
            try (var c = connect(tid, seen)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> c.byteCount() >= end - seen);
                assertThat(c.texts().getFirst()).isEqualTo("{\"type\":\"replay\",\"from\":" + seen + ",\"to\":" + end + "}");
                assertThat(c.bytes()).isEqualTo(Arrays.copyOfRange(all.bytes(), (int) seen, (int) end));
                assertThat(c.text()).contains("missed-48").doesNotContain("before-42");
            }
        }
    }

    @Test
    void ringOverflowIsReportedByReplay() throws Exception {
        var created = newTerminal(ws, json("cols", 80, "rows", 24, "command", "seq 1 50000; echo seq-done; exec sleep 600"));
        var tid = created.path("terminalId").asText();
        assertThat(created.path("title").asText()).isEqualTo("seq 1 50000; echo seq-done; exec sleep …"); // 40 characters at most
        await().atMost(Duration.ofSeconds(30)).until(() -> offsetOf(tid) > 3L * RING);
        try (var probe = connect(tid, 0)) {
            awaitText(probe, "seq-done");
        }
        long end = offsetOf(tid);
        try (var c = connect(tid, 0)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> c.byteCount() >= RING);
            assertThat(c.texts().getFirst()).isEqualTo("{\"type\":\"replay\",\"from\":" + (end - RING) + ",\"to\":" + end + "}");
            assertThat(c.byteCount()).isEqualTo(RING);
            assertThat(c.text()).endsWith("seq-done\r\n").doesNotContain("\n1\r\n");
        }
    }

    @Test
    void twoViewersSeeIdenticalStreams() throws Exception {
        var tid = shell();
        try (var a = connect(tid, 0); var b = connect(tid, 0)) {
            a.send("seq 1 3000; echo two-$((1+1))-viewers\n");
            awaitText(a, "two-2-viewers");
            awaitText(b, "two-2-viewers");
            long end = offsetOf(tid);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.byteCount() == end && b.byteCount() == end);
            assertThat(a.bytes()).isEqualTo(b.bytes());
        }
    }

    @Test
    void exitCodeIsReportedAndTheSocketClosed() throws Exception {
        var tid = shell();
        try (var c = connect(tid, 0)) {
            c.send("exit 7\n");
            var closed = c.closed.get(30, TimeUnit.SECONDS);
            assertThat(closed.code()).isEqualTo(1000);
            assertThat(c.texts()).last().isEqualTo("{\"type\":\"exit\",\"code\":7}");
        }
        var t = api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json();
        assertThat(t.path("alive").asBoolean()).isFalse();
        assertThat(t.path("exitCode").asInt()).isEqualTo(7);
    }

    @Test
    void terminalSurvivesAClientDisconnect() throws Exception {
        var tid = shell();
        try (var c = connect(tid, 0)) {
            c.send("X=surv; echo set-$X\n");
            awaitText(c, "set-surv");
        }
        try (var c = connect(tid, 0)) {
            c.send("echo \"$X\"ivor\n");
            awaitText(c, "survivor");
        }
        assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json().path("alive").asBoolean()).isTrue();
    }

    @Test
    void slowReaderDoesNotStallAFastOne() throws Exception {
        var tid = shell();
        try (var slow = TerminalSocketClient.connect(socketUrl(ws, tid, 0), true); var fast = connect(tid, 0)) {
            fast.send("seq 1 200000 | tail -c 4000000; echo fast-$((2*50))-done\n");
            awaitText(fast, "fast-100-done");
            assertThat(slow.byteCount()).isLessThan(RING);
            slow.resume();
            awaitText(slow, "fast-100-done");
            // Socket buffers may have held everything; if not, the slow one was skipped forward and told so by a
            // replay frame (on a loaded machine even the fast one may lag a 64 KiB ring behind, so no byte count).
            assertThat(slow.texts()).allMatch(t -> t.startsWith("{\"type\":\"replay\""));
        }
    }

    @Test
    void listingShowsTabsAndRenameAndDeleteWork() throws Exception {
        var created = newTerminal(ws, json("cols", 90, "rows", 20, "title", "build"));
        var tid = created.path("terminalId").asText();
        assertThat(created.path("title").asText()).isEqualTo("build");
        var list = api.get("/api/v1/workspaces/" + ws + "/terminals").json();
        JsonNode tab = null;
        for (JsonNode t : list) if (t.path("terminalId").asText().equals(tid)) tab = t;
        assertThat(tab).isNotNull();
        assertThat(tab.path("cols").asInt()).isEqualTo(90);
        assertThat(tab.path("rows").asInt()).isEqualTo(20);
        assertThat(tab.path("alive").asBoolean()).isTrue();
        assertThat(tab.has("offset")).isTrue();

        var renamed = api.send("PATCH", "/api/v1/workspaces/" + ws + "/terminals/" + tid,
                json("title", "tests").getBytes(), "application/json");
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json().path("title").asText()).isEqualTo("tests");
        assertThat(api.send("PATCH", "/api/v1/workspaces/" + ws + "/terminals/" + tid,
                json("title", " ").getBytes(), "application/json").status()).isEqualTo(400);

        try (var c = connect(tid, 0)) {
            assertThat(api.delete("/api/v1/workspaces/" + ws + "/terminals/" + tid).status()).isEqualTo(204);
            assertThat(c.closed.get(30, TimeUnit.SECONDS).code()).isEqualTo(1000);
        }
        assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).status()).isEqualTo(404);
    }

    @Test
    void badRequestsAreRefused() {
        String base = "/api/v1/workspaces/" + ws + "/terminals";
        assertThat(api.post(base, json("cols", 0, "rows", 24)).status()).isEqualTo(400);
        assertThat(api.post(base, json("rows", 24)).status()).isEqualTo(400);
        assertThat(api.post(base, "{\"cols\":\"x\"}").status()).isEqualTo(400);
        assertThat(api.post(base, json("cols", 80, "rows", 24, "shell", "zsh")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/ws-nope/terminals", json("cols", 80, "rows", 24)).status()).isEqualTo(404);
    }

    @Test
    void socketWithoutTheTokenIsRefused() throws Exception {
        var tid = shell();
        String url = "ws://127.0.0.1:" + daemon.port() + "/api/v1/workspaces/" + ws + "/terminals/" + tid;
        assertThatThrownBy(() -> TerminalSocketClient.connect(url)).hasStackTraceContaining("status code 401");
        assertThatThrownBy(() -> TerminalSocketClient.connect(url + "?token=wrong")).hasStackTraceContaining("status code 401");
        try (var c = TerminalSocketClient.connect(url + "?token=" + daemon.token())) {
            c.send("echo ok-$((1+2))\n");
            awaitText(c, "ok-3");
        }
    }

    @Test
    void terminalOfAnotherWorkspaceIsNotFound() throws Exception {
        var tid = shell();
        var other = api.createRunning(json("name", "other")).path("id").asText();
        assertThat(api.get("/api/v1/workspaces/" + other + "/terminals/" + tid).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/workspaces/" + other + "/terminals/" + tid).status()).isEqualTo(404);
        try (var c = TerminalSocketClient.connect(socketUrl(other, tid, 0))) {
            var closed = c.closed.get(10, TimeUnit.SECONDS);
            assertThat(closed.code()).isEqualTo(4404);
            assertThat(c.byteCount()).isZero();
        }
        api.delete("/api/v1/workspaces/" + other);
    }

    @Test
    void stoppingOrDeletingTheWorkspaceClosesItsTerminals() throws Exception {
        var id = api.createRunning(json("name", "stopper")).path("id").asText();
        var tid = newTerminal(id, json("cols", 80, "rows", 24)).path("terminalId").asText();
        try (var c = TerminalSocketClient.connect(socketUrl(id, tid, 0))) {
            c.send("echo up-$((3*3))\n");
            awaitText(c, "up-9");
            assertThat(api.post("/api/v1/workspaces/" + id + "/stop", null).status()).isEqualTo(200);
            c.closed.get(30, TimeUnit.SECONDS);
            assertThat(c.texts()).last().asString().startsWith("{\"type\":\"exit\"");
        }
        assertThat(api.get("/api/v1/workspaces/" + id + "/terminals").status()).isEqualTo(409);
        assertThat(api.post("/api/v1/workspaces/" + id + "/resume", null).status()).isEqualTo(200);
        // The shell tab comes back (TerminalTabsRestartTest) with a fresh shell: the old output is gone.
        var back = api.get("/api/v1/workspaces/" + id + "/terminals").json();
        assertThat(back.size()).isEqualTo(1);
        assertThat(back.path(0).path("terminalId").asText()).isEqualTo(tid);
        try (var c = TerminalSocketClient.connect(socketUrl(id, tid, 0))) {
            awaitText(c, Terminals.RESTORED_NOTICE);
            assertThat(c.text()).doesNotContain("up-9");
        }

        var again = newTerminal(id, json("cols", 80, "rows", 24)).path("terminalId").asText();
        try (var c = TerminalSocketClient.connect(socketUrl(id, again, 0))) {
            c.send("echo again-$((5*5))\n");
            awaitText(c, "again-25");
            assertThat(api.delete("/api/v1/workspaces/" + id).status()).isEqualTo(204);
            c.closed.get(30, TimeUnit.SECONDS);
            assertThat(c.texts()).last().asString().startsWith("{\"type\":\"exit\"");
        }
    }
}
