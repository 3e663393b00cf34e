package dev.corral.api;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's logs (paged and streamed) and its Prometheus metrics. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class ObservabilityTest implements DaemonLogOnFailure.HasDaemon {
    private static final Pattern SAMPLE = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$");

    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("LOG_LEVEL", "INFO", "LOG_STREAM_PING_INTERVAL", "1s",
                "LOG_STREAM_BUFFER_SIZE", "3"));
        api = daemon.api();
        // Some log lines to page through: each workspace that cannot be cloned logs a warning.
        for (int i = 0; i < 4; i++) api.post("/api/v1/workspaces", json("repo", "file:///nonexistent/repo-" + i + ".git"));
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/logs?level=WARN").json().path("entries").size() >= 4);
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void logsArePagedAndFiltered() {
        JsonNode first = api.get("/api/v1/logs?limit=2").json();
        assertThat(first.path("entries")).hasSize(2);
        long before = first.path("nextBefore").asLong();
        JsonNode next = api.get("/api/v1/logs?limit=2&before=" + before).json();
        assertThat(next.path("entries").findValues("id")).allSatisfy(id -> assertThat(id.asLong()).isLessThan(before));
        assertThat(api.get("/api/v1/logs?limit=1000").json().path("entries").findValuesAsText("message"))
                .anySatisfy(m -> assertThat(m).contains("listening on"));
        assertThat(api.get("/api/v1/logs?level=WARN").json().path("entries").findValuesAsText("level"))
                .isNotEmpty().allMatch(l -> l.equals("WARN") || l.equals("ERROR"));
        assertThat(api.get("/api/v1/logs?limit=5000").json().path("code").asText()).isEqualTo("invalid_limit");
        assertThat(api.get("/api/v1/logs?level=LOUD").json().path("code").asText()).isEqualTo("invalid_level");
        assertThat(new Api(daemon.url(), null).get("/api/v1/logs").status()).isEqualTo(401);
    }

    @Test
    void logStreamCatchesUpThenGoesLiveWithPings() throws Exception {
        var frames = new CopyOnWriteArrayList<JsonNode>();
        var pings = new AtomicInteger();
        var listener = new WebSocket.Listener() {
            final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        frames.add(Api.JSON.readTree(partial.toString()));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    partial.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
                pings.incrementAndGet();
                ws.request(1);
                return WebSocket.Listener.super.onPing(ws, message);
            }
        };
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + daemon.port() + "/api/v1/logs/stream?token=" + daemon.token()), listener)
                .get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() >= 3);
        assertThat(frames).hasSizeGreaterThanOrEqualTo(3);
        // Something happens: a workspace that cannot be created logs a warning, which arrives live.
        var bad = api.post("/api/v1/workspaces", json("repo", "file:///nonexistent/repo.git", "name", "doomed")).json();
        String doomed = bad.path("id").asText();
        await().atMost(Duration.ofSeconds(30)).until(() -> frames.stream()
                .anyMatch(f -> f.path("message").asText().contains(doomed)));
        List<Long> ids = frames.stream().map(f -> f.path("id").asLong()).toList();
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        await().atMost(Duration.ofSeconds(10)).until(() -> pings.get() >= 1);
        ws.abort();
    }

    @Test
    void metricsAreInPrometheusFormat() {
        api.createRunning(json("name", "measured"));
        assertThat(new Api(daemon.url(), null).get("/metrics").status()).isEqualTo(401);
        var r = api.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        var lines = r.text().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(lines).allSatisfy(l -> assertThat(l).matches(SAMPLE));
        assertThat(r.text()).containsPattern("corral_workspaces\\{state=\"running\"} [1-9]")
                .contains("corral_sandbox_start_seconds_count").contains("corral_events_total")
                .contains("corral_terminal_output_bytes_total").contains("corral_sessions{state=");
    }
}
