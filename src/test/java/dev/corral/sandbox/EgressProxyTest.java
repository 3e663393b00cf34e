package dev.corral.sandbox;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

/** Network mode proxy: only allowed hosts are reachable, through the daemon's proxy; every decision is logged. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class EgressProxyTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    HttpServer allowed;
    HttpServer forbidden;
    String ws;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    static HttpServer upstream(String ip, String answer) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(ip, 0), 0);
        s.createContext("/", ex -> {
            byte[] b = (answer + " " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    @BeforeAll
    void start() throws Exception {
        // Two upstreams on other loopback addresses (127.0.0.1 itself is in NO_PROXY).
        allowed = upstream("127.0.0.2", "allowed-upstream");
        forbidden = upstream("127.0.0.3", "forbidden-upstream");
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
        ws = api.createRunning(json("name", "egress", "network", Map.of("mode", "proxy", "allow", List.of("127.0.0.2")))).path("id").asText();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
        allowed.stop(0);
        forbidden.stop(0);
    }

    @Test
    void allowedHostGoesThroughTheProxy() {
        var r = api.sh(ws, "curl -sS http://127.0.0.2:" + allowed.getAddress().getPort() + "/path?q=1");
        assertThat(r.path("stdout").asText()).as(r.toString()).isEqualTo("allowed-upstream /path?q=1");
        var tunnel = api.sh(ws, "curl -sS --proxytunnel http://127.0.0.2:" + allowed.getAddress().getPort() + "/tunnel");
        assertThat(tunnel.path("stdout").asText()).as(tunnel.toString()).isEqualTo("allowed-upstream /tunnel");
        assertThat(api.sh(ws, "echo $HTTPS_PROXY").path("stdout").asText()).isEqualTo("http://127.0.0.1:3128\n");
        assertThat(daemon.logText()).contains("egress allowed: workspace " + ws + " -> 127.0.0.2");
    }

    @Test
    void otherHostsAreRefusedAndLogged() {
        var r = api.sh(ws, "curl -sS -w ' %{http_code}' http://127.0.0.3:" + forbidden.getAddress().getPort() + "/");
        assertThat(r.path("stdout").asText()).contains("not allowed for workspace " + ws).endsWith(" 403");
        var tunnel = api.sh(ws, "curl -sS --proxytunnel http://127.0.0.3:" + forbidden.getAddress().getPort() + "/ 2>&1");
        assertThat(tunnel.path("stdout").asText()).doesNotContain("forbidden-upstream");
        assertThat(daemon.logText()).contains("egress denied: workspace " + ws + " -> 127.0.0.3");
    }

    @Test
    void noWayAroundTheProxy() {
        var direct = api.sh(ws, "curl -sS --noproxy '*' --max-time 5 http://127.0.0.2:" + allowed.getAddress().getPort() + "/ 2>&1; echo rc=$?");
        assertThat(direct.path("stdout").asText()).doesNotContain("allowed-upstream").doesNotContain("rc=0");
    }

    /**
     * A client that keeps its proxy connection alive (Bun's fetch does) is told the connection ends with the answer,
     * and it does end: a second request down the same connection would otherwise go to an upstream that has closed.
     */
    @Test
    void plainHttpAnswerClosesTheClientConnection() throws Exception {
        try (var upstream = new java.net.ServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.2"));
             var p = EgressProxy.start("t", tmp.resolve("keepalive.sock"), List.of("127.0.0.2"))) {
            Thread.ofVirtual().start(() -> {
                // Answers like a server that keeps connections alive unless told otherwise: no Connection header.
                try (var s = upstream.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    var head = new StringBuilder();
                    for (String l; (l = in.readLine()) != null && !l.isEmpty(); ) head.append(l).append('\n');
                    byte[] body = ("seen:\n" + head).getBytes(StandardCharsets.ISO_8859_1);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nKeep-Alive: timeout=5\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().write(body);
                    s.getOutputStream().flush();
                    s.shutdownOutput();
                    in.read(); // until the proxy closes its side
                } catch (java.io.IOException ignored) {
                    // the test fails on the client side
                }
            });
            try (var c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(tmp.resolve("keepalive.sock")))) {
                String url = "http://127.0.0.2:" + upstream.getLocalPort() + "/v1/chat?x=1";
                c.write(java.nio.ByteBuffer.wrap(("POST " + url + " HTTP/1.1\r\nHost: 127.0.0.2\r\nConnection: keep-alive\r\n"
                        + "Proxy-Connection: keep-alive\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1)));
                var future = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (var in = java.nio.channels.Channels.newInputStream(c)) {
                        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                String answer = future.get(10, TimeUnit.SECONDS); // EOF: the proxy closed the client connection
                assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nConnection: close\r\n")
                        .doesNotContain("Keep-Alive").contains("POST /v1/chat?x=1 HTTP/1.1\nHost: 127.0.0.2\n")
                        .doesNotContainIgnoringCase("proxy-connection").doesNotContain("keep-alive");
            }
        }
    }

    @Test
    void allowListPatterns() throws Exception {
        try (var p = EgressProxy.start("t", tmp.resolve("p.sock"), List.of("api.example.com", "*.googleapis.com", "git.example.org:443"))) {
            assertThat(p.allows("api.example.com", 443)).isTrue();
            assertThat(p.allows("API.example.com", 80)).isTrue();
            assertThat(p.allows("evil.example.com", 443)).isFalse();
            assertThat(p.allows("generativelanguage.googleapis.com", 443)).isTrue();
            assertThat(p.allows("googleapis.com.evil.net", 443)).isFalse();
            assertThat(p.allows("git.example.org", 443)).isTrue();
            assertThat(p.allows("git.example.org", 22)).isFalse();
        }
    }
}
