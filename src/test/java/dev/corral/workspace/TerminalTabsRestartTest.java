package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.api.TerminalSocketClient;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shell tabs outlive their shells: after a daemon kill and restart (and after a plain stop), resuming the workspace
 * opens the same tabs (ids, titles, order) with fresh shells that say so; closed tabs, shells that exited and command
 * tabs do not come back.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class TerminalTabsRestartTest implements DaemonLogOnFailure.HasDaemon {
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
    void shellTabsComeBackWithFreshShellsAfterADaemonRestart() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "tabs")).path("id").asText();
        String base = "/api/v1/workspaces/" + ws + "/terminals";
        String first = create(api, base, json("cols", 90, "rows", 20));
        String second = create(api, base, json("cols", 80, "rows", 24));
        String closed = create(api, base, json("cols", 80, "rows", 24));
        String exits = create(api, base, json("cols", 80, "rows", 24));
        create(api, base, json("cols", 80, "rows", 24, "command", "sleep 600"));
        assertThat(api.post(base + "/" + second, json("title", "build")).status()).isEqualTo(200);
        assertThat(api.delete(base + "/" + closed).status()).isEqualTo(204);
        try (var c = connect(ws, exits, 0)) {
            c.send("exit 0\n");
            assertThat(c.closed.get(30, TimeUnit.SECONDS)).isNotNull();
        }
        try (var c = connect(ws, first, 0)) {
            c.send("echo before-$((1+1))\n");
            awaitText(c, "before-2");
        }

        daemon.kill();
        daemon.restart();
        api = daemon.api();
        assertThat(api.post("/api/v1/workspaces/" + ws + "/resume", null).status()).isEqualTo(200);
        JsonNode tabs = api.get(base).json();
        assertThat(ids(tabs)).containsExactly(first, second);
        assertThat(tabs.path(0).path("title").asText()).isEqualTo("bash");
        assertThat(tabs.path(0).path("cols").asInt()).isEqualTo(90);
        assertThat(tabs.path(1).path("title").asText()).isEqualTo("build");
        for (String tid : List.of(first, second)) {
            try (var c = connect(ws, tid, 0)) {
                awaitText(c, "this is a new shell; earlier output is gone");
                c.send("echo after-$((20+22))\n");
                awaitText(c, "after-42");
                assertThat(c.text()).doesNotContain("before-2");
            }
        }

        // A plain stop and resume does the same; a renamed tab keeps its new name.
        assertThat(api.post(base + "/" + first, json("title", "shell one")).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/stop", null).status()).isEqualTo(200);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/resume", null).status()).isEqualTo(200);
        tabs = api.get(base).json();
        assertThat(ids(tabs)).containsExactly(first, second);
        assertThat(tabs.path(0).path("title").asText()).isEqualTo("shell one");
    }

    private static String create(Api api, String base, String body) {
        var r = api.post(base, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("terminalId").asText();
    }

    private static List<String> ids(JsonNode tabs) {
        var out = new ArrayList<String>();
        tabs.forEach(t -> out.add(t.path("terminalId").asText()));
        return out;
    }

    private TerminalSocketClient connect(String ws, String tid, long offset) throws Exception {
        return TerminalSocketClient.connect("ws://127.0.0.1:" + daemon.port() + "/api/v1/workspaces/" + ws + "/terminals/"
                + tid + "?offset=" + offset + "&token=" + daemon.token());
    }

    private static void awaitText(TerminalSocketClient c, String text) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.text()).contains(text));
    }
}
