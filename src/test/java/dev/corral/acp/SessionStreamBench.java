package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.TestDaemon;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Notifications per second from a flooding {@link FakeAgent} and the latency Corral adds. {@code bench/run sessions [N]}.
 * <ol>
 *   <li>baseline: the agent as a host process, its stdout read line by line straight from the pipe;</li>
 *   <li>durable pipeline in one JVM: the same agent → {@link JsonRpcConnection} → {@link EventLog} (committed) →
 *       a subscriber; the added latency of each event is subscriber time minus the time its line was dispatched;</li>
 *   <li>the real daemon: the agent inside a workspace sandbox, events durable, delivered to a WebSocket viewer.</li>
 * </ol>
 */
public final class SessionStreamBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Path dir = Files.createTempDirectory("session-bench");
        String script = new FakeAgentScript().step(new FakeAgentScript.Updates(n, List.of())).toJson();
        System.out.printf("cpus=%d updates=%d%n", Runtime.getRuntime().availableProcessors(), n);
        for (int round = 1; round <= 2; round++) {
            double base = baseline(dir, script, n);
            double[] pipe = durablePipeline(dir.resolve("r" + round), script, n);
            double daemon = throughDaemon(dir.resolve("d" + round), script, n);
            System.out.printf("round %d: pipe %.0f/s | durable pipeline %.0f/s (%.0f%% of pipe), added latency p50 %.2f ms p99 %.2f ms"
                    + " | daemon+sandbox+WebSocket %.0f/s (%.0f%% of pipe)%n",
                    round, base, pipe[0], 100 * pipe[0] / base, pipe[1], pipe[2], daemon, 100 * daemon / base);
        }
        System.exit(0);
    }

    private static void handshake(OutputStream in) throws Exception {
        in.write(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":1}}\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"session/new\",\"params\":{\"cwd\":\"/\",\"mcpServers\":[]}}\n")
                .getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Updates per second read straight from the agent's stdout. */
    static double baseline(Path dir, String script, int n) throws Exception {
        try (var agent = FakeAgentProcess.start(Files.createDirectories(dir), script)) {
            OutputStream in = agent.process.getOutputStream();
            var out = new BufferedReader(new InputStreamReader(agent.process.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
            handshake(in);
            out.readLine();
            out.readLine();
            long t0 = System.nanoTime();
            in.write("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"session/prompt\",\"params\":{\"sessionId\":\"fake-session-1\",\"prompt\":[]}}\n"
                    .getBytes(StandardCharsets.UTF_8));
            in.flush();
            int seen = 0;
            while (seen < n) {
                if (out.readLine().contains("session/update")) seen++;
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** {rate, p50 ms, p99 ms} of the in-process durable pipeline. */
    static double[] durablePipeline(Path dir, String script, int n) throws Exception {
        Files.createDirectories(dir);
        long[] dispatched = new long[n + 1];
        long[] delivered = new long[n + 1];
        var done = new CountDownLatch(1);
        try (var log = new EventLog(TestDatabase.create(dir.resolve("corral.db")));
                var agent = FakeAgentProcess.start(dir, script)) {
            log.subscribe("S", 0, e -> {
                delivered[(int) e.seq()] = System.nanoTime();
                if (e.seq() == n) done.countDown();
            });
            int[] count = {0};
            var conn = agent.connect().withNotificationListener(note -> {
                dispatched[++count[0]] = System.nanoTime();
                log.appendAsync("S", EventType.SESSION_UPDATE, note.rawParams().orElse("{}"));
            }).start();
            conn.call("initialize", JSON.createObjectNode().put("protocolVersion", 1)).await();
            conn.call("session/new", JSON.createObjectNode().put("cwd", "/")).await();
            long t0 = System.nanoTime();
            conn.call("session/prompt", JSON.createObjectNode().put("sessionId", "fake-session-1"));
            if (!done.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("pipeline did not finish");
            double rate = n / ((delivered[n] - t0) / 1e9);
            double[] lat = new double[n];
            for (int i = 1; i <= n; i++) lat[i - 1] = (delivered[i] - dispatched[i]) / 1e6;
            Arrays.sort(lat);
            conn.close();
            return new double[] {rate, lat[n / 2], lat[(int) (n * 0.99)]};
        }
    }

    /** Updates per second from a sandboxed agent to a WebSocket viewer of the real daemon. */
    static double throughDaemon(Path dir, String script, int n) throws Exception {
        Path home = dir.resolve("home");
        SandboxedFakeAgent.install(home);
        try (TestDaemon daemon = TestDaemon.start(home, Map.of("LOG_LEVEL", "INFO"))) {
            Api api = daemon.api();
            String ws = api.createRunning("{}").path("id").asText();
            api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json", script.getBytes(StandardCharsets.UTF_8));
            JsonNode s = api.post("/api/v1/workspaces/" + ws + "/sessions", "{\"agent\":\"fake\"}").json();
            String sid = s.path("id").asText();
            try (var viewer = SessionSocketClient.connect(daemon.url().replace("http", "ws") + "/api/v1/sessions/" + sid
                    + "/ws?after=" + s.path("lastSeq").asLong() + "&token=" + daemon.token())) {
                long t0 = System.nanoTime();
                viewer.send("{\"type\":\"prompt\",\"text\":\"flood\"}");
                long t1 = viewer.turnEnded.get(5, TimeUnit.MINUTES);
                List<JsonNode> events = viewer.events();
                for (int i = 1; i < events.size(); i++) {
                    if (events.get(i).path("seq").asLong() != events.get(i - 1).path("seq").asLong() + 1) {
                        throw new IllegalStateException("gap or duplicate at " + events.get(i));
                    }
                }
                long updates = events.stream().filter(e -> "session_update".equals(e.path("type").asText())).count();
                if (updates != n) throw new IllegalStateException("viewer got " + updates + " updates, not " + n);
                return n / ((t1 - t0) / 1e9);
            }
        }
    }
}
