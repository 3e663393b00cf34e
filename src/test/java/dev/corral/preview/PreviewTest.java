package dev.corral.preview;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A dev server inside the sandbox is reached through signed preview URLs (HTTP and WebSocket) and through fetch. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(DaemonLogOnFailure.class)
class PreviewTest implements DaemonLogOnFailure.HasDaemon {
    static final int PORT = 8765;
    TestDaemon daemon;
    Api api;
    String ws;
    final HttpClient http = HttpClient.newHttpClient();

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        daemon = TestDaemon.start(Files.createTempDirectory("corral-preview").resolve("home"));
        api = daemon.api();
        ws = api.createRunning(json("name", "web")).path("id").asText();
        byte[] script;
        try (InputStream in = PreviewTest.class.getResourceAsStream("devserver.py")) {
            script = in.readAllBytes();
        }
        assertThat(api.put("/api/v1/workspaces/" + ws + "/files/devserver.py", script).status()).isLessThan(300);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/processes",
                json("argv", java.util.List.of("/usr/bin/python3", "devserver.py", String.valueOf(PORT)))).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                api.get("/api/v1/workspaces/" + ws + "/ports").json().findValuesAsText("port").contains(String.valueOf(PORT)));
        assertThat(Files.isRegularFile(daemon.home().resolve("preview.key"))).isTrue();
        assertThat(Files.getPosixFilePermissions(daemon.home().resolve("preview.key")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    JsonNode preview(long seconds) {
        var r = api.post("/api/v1/workspaces/" + ws + "/previews", json("port", PORT, "expiresInSeconds", seconds));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) b.headers(headers);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void httpThroughThePreviewUrlWithoutTheToken() throws Exception {
        String url = preview(600).path("url").asText();
        assertThat(url).startsWith(daemon.url() + "/preview/pv-").endsWith("/");

        var r = send("GET", url + "hello?a=1", null, "X-Test", "t1", "Cookie", "corral_token=" + daemon.token() + "; app=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("path=/hello?a=1 cookie=app=1 x=t1");
        assertThat(r.headers().firstValue("X-Upstream")).hasValue("yes");

        var noSlash = send("GET", url.substring(0, url.length() - 1), null);
        assertThat(noSlash.statusCode()).isEqualTo(307);
        assertThat(noSlash.headers().firstValue("Location").orElseThrow()).endsWith("/");

        byte[] big = new byte[3_000_000]; // larger than the API's 1 MiB JSON limit: streamed, not buffered
        new Random(7).nextBytes(big);
        var post = send("POST", url + "upload", big, "Content-Type", "application/octet-stream");
        assertThat(post.statusCode()).isEqualTo(201);
        assertThat(post.body()).isEqualTo(big);

        var list = api.get("/api/v1/workspaces/" + ws + "/previews").json();
        assertThat(list.findValuesAsText("url")).contains(url);
    }

    @Test
    void webSocketThroughThePreviewUrl() throws Exception {
        String url = preview(600).path("url").asText().replace("http://", "ws://");
        var received = new LinkedBlockingQueue<String>();
        var partial = new StringBuilder();
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(url + "ws"), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                // The JDK client hands over long messages in parts.
                partial.append(data);
                if (last) {
                    received.add(partial.toString());
                    partial.setLength(0);
                }
                w.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        socket.sendText("hi", true).get(10, TimeUnit.SECONDS);
        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("echo:hi");
        String long1 = "x".repeat(100_000);
        socket.sendText(long1, true).get(10, TimeUnit.SECONDS);
        String echoed = received.poll(20, TimeUnit.SECONDS);
        assertThat(echoed).as("a 100,000-character message comes back whole").hasSize(long1.length() + 5).isEqualTo("echo:" + long1);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);

        // A tampered signature is refused before the upgrade.
        String bad = tamper(url);
        CompletableFuture<WebSocket> refused = http.newWebSocketBuilder().buildAsync(URI.create(bad + "ws"), new WebSocket.Listener() {});
        assertThat(refused).failsWithin(Duration.ofSeconds(20));
    }

    static String tamper(String url) {
        // .../preview/{id}/{sig}/ : flip the signature's first character.
        String[] p = url.split("/");
        String sig = p[p.length - 1];
        char c = sig.charAt(0) == 'A' ? 'B' : 'A';
        return url.replace("/" + sig + "/", "/" + c + sig.substring(1) + "/");
    }

    @Test
    void tamperedRevokedAndExpiredUrlsAreRefused() throws Exception {
        var p = preview(600);
        String url = p.path("url").asText();
        var tampered = send("GET", tamper(url) + "x", null);
        assertThat(tampered.statusCode()).isEqualTo(403);
        assertThat(Api.JSON.readTree(tampered.body()).path("code").asText()).isEqualTo("bad_signature");
        // Another preview's id with this one's signature is a tampered URL too.
        String other = preview(600).path("id").asText();
        assertThat(send("GET", url.replace(p.path("id").asText(), other), null).statusCode()).isEqualTo(403);

        assertThat(send("GET", url, null).statusCode()).isEqualTo(200);
        assertThat(api.delete("/api/v1/workspaces/" + ws + "/previews/" + p.path("id").asText()).status()).isEqualTo(204);
        var revoked = send("GET", url, null);
        assertThat(revoked.statusCode()).isEqualTo(404);
        assertThat(Api.JSON.readTree(revoked.body()).path("code").asText()).isEqualTo("preview_not_found");
        assertThat(api.delete("/api/v1/workspaces/" + ws + "/previews/" + p.path("id").asText()).status()).isEqualTo(404);

        String shortLived = preview(1).path("url").asText();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> send("GET", shortLived, null).statusCode() == 403);
        assertThat(Api.JSON.readTree(send("GET", shortLived, null).body()).path("code").asText()).isEqualTo("preview_expired");

        assertThat(api.post("/api/v1/workspaces/" + ws + "/previews", json("port", 70000)).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/previews", json("port", PORT, "expiresInSeconds", 0)).status()).isEqualTo(400);
        assertThat(api.send("POST", "/api/v1/workspaces/" + ws + "/previews", json("port", PORT).getBytes(),
                "application/json", null).status()).isEqualTo(401);
    }

    @Test
    void fetchMakesOneRequestInside() {
        var r = api.post("/api/v1/workspaces/" + ws + "/fetch", json("port", PORT, "path", "/f?q=2",
                "headers", java.util.Map.of("X-Test", "fetched")));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("status").asInt()).isEqualTo(200);
        assertThat(r.json().path("body").asText()).isEqualTo("path=/f?q=2 cookie=None x=fetched");
        assertThat(r.json().path("bodyEncoding").asText()).isEqualTo("text");
        assertThat(r.json().path("headers").path("x-upstream").asText()).isEqualTo("yes");

        var bin = api.post("/api/v1/workspaces/" + ws + "/fetch", json("port", PORT, "path", "/b", "method", "POST",
                "body", "/w==", "bodyEncoding", "base64"));
        assertThat(bin.json().path("status").asInt()).isEqualTo(201);
        assertThat(bin.json().path("bodyEncoding").asText()).isEqualTo("base64");
        assertThat(bin.json().path("body").asText()).isEqualTo("/w==");

        var nothing = api.post("/api/v1/workspaces/" + ws + "/fetch", json("port", 1));
        assertThat(nothing.status()).as(nothing.toString()).isEqualTo(503);
        assertThat(nothing.json().path("code").asText()).isEqualTo("upstream_unreachable");
    }

    @Test
    void stoppedOrDeletedWorkspaces() throws Exception {
        String other = api.createRunning(json("name", "gone")).path("id").asText();
        var r = api.post("/api/v1/workspaces/" + other + "/previews", json("port", PORT));
        assertThat(r.status()).isEqualTo(201);
        String url = r.json().path("url").asText();
        assertThat(send("GET", url, null).statusCode()).isEqualTo(503);
        assertThat(api.post("/api/v1/workspaces/" + other + "/stop", null).status()).isEqualTo(200);
        var stopped = send("GET", url, null);
        assertThat(stopped.statusCode()).isEqualTo(409);
        assertThat(Api.JSON.readTree(stopped.body()).path("code").asText()).isEqualTo("workspace_not_running");
        assertThat(api.delete("/api/v1/workspaces/" + other).status()).isEqualTo(204);
        assertThat(send("GET", url, null).statusCode()).isEqualTo(404);
    }

    @Test
    void portsLeavesOutForwardRelays() throws Exception {
        try (var host = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            int fwd = host.getLocalPort();
            var body = "{\"name\":\"fwd\",\"network\":{\"mode\":\"none\",\"forward\":[\"127.0.0.1:" + fwd + "\"]}}";
            String id = api.createRunning(body).path("id").asText();
            assertThat(api.sh(id, "grep -c ' 0A ' /proc/net/tcp").path("stdout").asText().trim()).isNotEqualTo("0");
            assertThat(api.get("/api/v1/workspaces/" + id + "/ports").json().findValuesAsText("port"))
                    .doesNotContain(String.valueOf(fwd));
            api.delete("/api/v1/workspaces/" + id);
        }
    }

    @Test
    void portsListsTheServerButNotRelays() {
        var ports = api.get("/api/v1/workspaces/" + ws + "/ports").json();
        assertThat(ports.findValuesAsText("port")).contains(String.valueOf(PORT));
        for (JsonNode p : ports) if (p.path("port").asInt() == PORT) assertThat(p.path("process").asText()).startsWith("python");
    }
}
