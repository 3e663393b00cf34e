package dev.corral.sandbox;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Network mode {@code proxy} is the default for a workspace created with an agent: the egress proxy lets the agent's
 * registry hosts through and refuses others. An agent marked {@code "proxy": false} in the registry falls back to
 * {@code none}, said in the record and the log; an explicit mode wins. Agents here come from a user registry file whose
 * hosts are local fake upstreams on 127.0.0.x.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class ProxyDefaultTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    HttpServer agentHost;
    HttpServer otherHost;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        agentHost = EgressProxyTest.upstream("127.0.0.2", "agent-host");
        otherHost = EgressProxyTest.upstream("127.0.0.3", "other-host");
        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(home.resolve("agents.json"), """
                {"agents": [
                  {"id": "probe", "name": "Probe", "version": "1.0.0",
                   "distribution": {"npx": {"package": "probe-agent@1.0.0"}},
                   "corral": {"egress": ["127.0.0.2"], "proxy": true}},
                  {"id": "direct", "name": "Direct", "version": "1.0.0",
                   "distribution": {"npx": {"package": "direct-agent@1.0.0"}},
                   "corral": {"egress": ["127.0.0.2"], "proxy": false}}
                ]}
                """);
        daemon = TestDaemon.start(home);
        api = daemon.api();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
        agentHost.stop(0);
        otherHost.stop(0);
    }

    String get(String ws, HttpServer target) {
        return api.sh(ws, "curl -sS --max-time 10 -w ' %{http_code}' http://" + target.getAddress().getHostString() + ":"
                + target.getAddress().getPort() + "/x 2>&1").path("stdout").asText();
    }

    @Test
    void agentWorkspaceDefaultsToTheProxyAllowingTheAgentsHosts() {
        JsonNode w = api.createRunning(json("name", "probe-default", "agent", "probe"));
        String ws = w.path("id").asText();
        assertThat(w.path("network").path("mode").asText()).isEqualTo("proxy");
        assertThat(w.path("network").path("note").asText()).contains("default").contains("probe").contains("127.0.0.2");
        assertThat(api.get("/api/v1/workspaces/" + ws).json().path("network").path("mode").asText()).isEqualTo("proxy");

        assertThat(get(ws, agentHost)).isEqualTo("agent-host /x 200");
        assertThat(get(ws, otherHost)).contains("not allowed for workspace " + ws).endsWith(" 403");
        assertThat(api.sh(ws, "echo $HTTPS_PROXY $NODE_USE_ENV_PROXY").path("stdout").asText()).isEqualTo("http://127.0.0.1:3128 1\n");
        assertThat(daemon.logText())
                .contains("workspace " + ws + ": network mode proxy: default for a workspace with an agent")
                .contains("egress allowed: workspace " + ws + " -> 127.0.0.2")
                .contains("egress denied: workspace " + ws + " -> 127.0.0.3");
    }

    @Test
    void networkAllowAddsToTheAgentsHostsWithoutNamingAMode() {
        String ws = api.createRunning(json("name", "probe-allow", "agent", "probe", "network", Map.of("allow", List.of("127.0.0.3"))))
                .path("id").asText();
        assertThat(get(ws, agentHost)).isEqualTo("agent-host /x 200");
        assertThat(get(ws, otherHost)).isEqualTo("other-host /x 200");
    }

    @Test
    void anAgentThatIgnoresProxiesFallsBackToNoneExplicitly() {
        JsonNode w = api.createRunning(json("name", "direct-default", "agent", "direct"));
        String ws = w.path("id").asText();
        assertThat(w.path("network").path("mode").asText()).isEqualTo("none");
        assertThat(w.path("network").path("note").asText()).contains("direct").contains("\"proxy\": false").contains("none");
        assertThat(daemon.logText()).contains("workspace " + ws + ": network mode none: agent direct does not send its traffic through a proxy");
        assertThat(api.sh(ws, "echo \"[$HTTPS_PROXY]\"").path("stdout").asText()).isEqualTo("[]\n");
        assertThat(get(ws, agentHost)).doesNotContain("agent-host");
    }

    @Test
    void anExplicitModeWins() {
        JsonNode none = api.createRunning(json("name", "probe-none", "agent", "probe", "network", Map.of("mode", "none")));
        assertThat(none.path("network").path("mode").asText()).isEqualTo("none");
        assertThat(none.path("network").has("note")).isFalse();
        assertThat(get(none.path("id").asText(), agentHost)).doesNotContain("agent-host");

        JsonNode proxy = api.createRunning(json("name", "direct-proxy", "agent", "direct", "network", Map.of("mode", "proxy")));
        assertThat(proxy.path("network").path("mode").asText()).isEqualTo("proxy");
        assertThat(get(proxy.path("id").asText(), agentHost)).isEqualTo("agent-host /x 200");
    }

    @Test
    void withoutAnAgentTheDefaultStaysNone() {
        JsonNode w = api.createRunning(json("name", "plain"));
        assertThat(w.path("network").path("mode").asText()).isEqualTo("none");
        assertThat(w.path("network").has("note")).isFalse();
    }

    @Test
    void bundledAgentsDefaultToTheProxyAndUnknownAgentsAreRefused() {
        for (String agent : List.of("opencode", "gemini")) {
            var r = api.post("/api/v1/workspaces", json("name", "bundled-" + agent, "agent", agent));
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            assertThat(r.json().path("network").path("mode").asText()).isEqualTo("proxy");
        }
        var unknown = api.post("/api/v1/workspaces", json("name", "nope", "agent", "no-such-agent"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("code").asText()).isEqualTo("unknown_agent");
        assertThat(unknown.json().path("error").asText()).contains("no-such-agent");
    }
}
