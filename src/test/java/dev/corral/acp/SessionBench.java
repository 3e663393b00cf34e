package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.BlockingWebSocket;
import dev.corral.testing.TestDaemon;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 4's figures, in one run: session/update notifications from a flooding fake agent, through Corral (agent in a
 * bwrap sandbox → ACP connection → durable SQLite event log → WebSocket viewer) against the same agent piped straight
 * to a reader (the baseline). Throughput from a flood; latency (agent send → reader receive, wall clock) from a paced
 * stream (2,000 a second), so it measures the path and not a queue. The machine may be shared: each round measures
 * the baseline and Corral one after the other, the added latency is taken within a round (Corral minus baseline at
 * the same percentile), and the summary is the median over the rounds. The daemon's CPU time per event is printed
 * too: unlike events/s it hardly depends on what else runs.
 * Usage: bench/run session [floodCount] [pacedCount] [rounds]
 */
public final class SessionBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(double eventsPerSecond, List<Double> latenciesMs, boolean inOrder, double daemonCpuMicrosPerEvent) {
        Result(double eventsPerSecond, List<Double> latenciesMs, boolean inOrder) {
            this(eventsPerSecond, latenciesMs, inOrder, Double.NaN);
        }
    }

    public static void main(String[] args) throws Exception {
        int flood = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int paced = args.length > 1 ? Integer.parseInt(args[1]) : 4_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path tmp = Files.createTempDirectory("corral-session-bench");
        String floodScript = "{\"turn\":[{\"op\":\"updates\",\"count\":" + flood + ",\"stamp\":true}]}";
        String pacedScript = "{\"turn\":[{\"op\":\"updates\",\"count\":" + paced + ",\"stamp\":true,\"intervalMicros\":500}]}";
        System.out.printf("cpus=%d flood=%d paced=%d (every 0.5 ms) rounds=%d load average %s%n",
                Runtime.getRuntime().availableProcessors(), flood, paced, rounds, loadAverage());

        SandboxedFakeAgent.install(tmp.resolve("home"));
        try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home"), Map.of("LOG_LEVEL", "WARN",
                "CORRAL_RATE_PROMPT_PER_MINUTE", "0"))) {
            Api api = daemon.api();
            String ws = api.createRunning(Api.json("name", "bench")).path("id").asText();
            // Warm-up, not counted: both readers and the daemon's code paths get compiled.
            direct(tmp, floodScript, flood);
            viaCorral(daemon, api, ws, floodScript, flood);

            var pipeRates = new ArrayList<Double>();
            var corralRates = new ArrayList<Double>();
            var cpu = new ArrayList<Double>();
            var added50 = new ArrayList<Double>();
            var added99 = new ArrayList<Double>();
            var pipe50 = new ArrayList<Double>();
            var pipe99 = new ArrayList<Double>();
            var corral50 = new ArrayList<Double>();
            var corral99 = new ArrayList<Double>();
            boolean inOrder = true;
            System.out.printf("%-6s %12s %12s %8s %14s %11s %11s %11s %11s %10s%n", "round", "pipe ev/s", "Corral ev/s",
                    "ratio", "daemon us/ev", "pipe p50", "pipe p99", "Corral p50", "Corral p99", "load");
            for (int round = 1; round <= rounds; round++) {
                Result directFlood = direct(tmp, floodScript, flood);
                Result viaFlood = viaCorral(daemon, api, ws, floodScript, flood);
                Result directPaced = direct(tmp, pacedScript, paced);
                Result viaPaced = viaCorral(daemon, api, ws, pacedScript, paced);
                inOrder &= directFlood.inOrder() && viaFlood.inOrder() && directPaced.inOrder() && viaPaced.inOrder();
                pipeRates.add(directFlood.eventsPerSecond());
                corralRates.add(viaFlood.eventsPerSecond());
                cpu.add(viaFlood.daemonCpuMicrosPerEvent());
                pipe50.add(pct(directPaced.latenciesMs(), 50));
                pipe99.add(pct(directPaced.latenciesMs(), 99));
                corral50.add(pct(viaPaced.latenciesMs(), 50));
                corral99.add(pct(viaPaced.latenciesMs(), 99));
                added50.add(corral50.getLast() - pipe50.getLast());
                added99.add(corral99.getLast() - pipe99.getLast());
                System.out.printf("%-6d %12.0f %12.0f %7.2fx %14.1f %11.2f %11.2f %11.2f %11.2f %10s%n", round,
                        pipeRates.getLast(), corralRates.getLast(), corralRates.getLast() / pipeRates.getLast(), cpu.getLast(),
                        pipe50.getLast(), pipe99.getLast(), corral50.getLast(), corral99.getLast(), loadAverage().split(" ")[0]);
            }
            var ratios = new ArrayList<Double>();
            for (int i = 0; i < rounds; i++) ratios.add(corralRates.get(i) / pipeRates.get(i));
            System.out.printf("%nmedians over %d rounds (every event in order, no gap or duplicate: %s)%n", rounds, inOrder);
            System.out.printf("%-52s %12s %10s %10s%n", "path", "events/s", "lat p50 ms", "lat p99 ms");
            System.out.printf("%-52s %12.0f %10.2f %10.2f%n", "agent piped straight to a reader (baseline)",
                    median(pipeRates), median(pipe50), median(pipe99));
            System.out.printf("%-52s %12.0f %10.2f %10.2f%n", "agent in sandbox -> Corral (durable) -> WebSocket",
                    median(corralRates), median(corral50), median(corral99));
            System.out.printf("throughput ratio Corral/baseline %.2fx; added latency p50 %.2f ms, p99 %.2f ms; daemon CPU %.1f us/event%n",
                    median(ratios), median(added50), median(added99), median(cpu));
            System.out.println("targets: >= 50,000 events/s durable through Corral; added p99 latency <= 2 ms");
            System.out.println("load average at the end: " + loadAverage());
        }
    }

    private static double median(List<Double> xs) {
        return pct(xs, 50);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "?";
        }
    }

    /** CPU time (clock ticks) of each thread of a process by thread name, from /proc: threads of one name summed. */
    private static Map<String, Long> threadTicks(long pid) {
        var ticks = new java.util.TreeMap<String, Long>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#]?\\d+$", "");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (Exception gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (Exception e) {
            return Map.of();
        }
        return ticks;
    }

    /** With -Dbench.threads=true: which of the daemon's threads used the CPU during a flood, in ms. */
    private static void printThreads(Map<String, Long> before, Map<String, Long> after, int events) {
        var lines = new ArrayList<String>();
        after.forEach((name, t) -> {
            long ms = (t - before.getOrDefault(name, 0L)) * 10; // USER_HZ is 100 on Linux
            if (ms > 0) lines.add(String.format("%6d ms %s", ms, name));
        });
        lines.sort(java.util.Comparator.reverseOrder());
        System.out.println("  daemon threads during the flood of " + events + ": " + String.join(" |", lines));
    }

    private static double metric(Api api, String name) {
        for (String line : api.get("/metrics").text().split("\n")) {
            if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1).trim());
        }
        return Double.NaN;
    }

    private static double cpuMicros(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1e3).orElse(Double.NaN);
    }

    /** The fake agent as a plain host process, its stdout read line by line. */
    private static Result direct(Path tmp, String script, int count) throws Exception {
        Path file = Files.writeString(Files.createTempFile(tmp, "script", ".json"), script);
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx160m", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "dev.corral.acp.FakeAgent", file.toString(), tmp.resolve("direct-record.jsonl").toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        OutputStream in = p.getOutputStream();
        var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":1}}");
        out.readLine();
        send(in, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"session/new\",\"params\":{\"cwd\":\"/tmp\",\"mcpServers\":[]}}");
        out.readLine();
        long start = System.nanoTime();
        send(in, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"session/prompt\",\"params\":{\"sessionId\":\"fake-session-1\",\"prompt\":[]}}");
        var latencies = new ArrayList<Double>(count);
        int seen = 0;
        boolean inOrder = true;
        String line;
        while (seen < count && (line = out.readLine()) != null) {
            long now = nowMicros();
            JsonNode m = JSON.readTree(line);
            if (!"session/update".equals(m.path("method").asText())) continue;
            JsonNode u = m.path("params").path("update");
            inOrder &= u.path("content").path("text").asText().equals(Integer.toString(seen));
            latencies.add((now - u.path("_meta").path("sentMicros").asLong()) / 1000.0);
            seen++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        p.getOutputStream().close();
        p.waitFor(10, TimeUnit.SECONDS);
        p.destroyForcibly();
        return new Result(seen / seconds, latencies, inOrder && seen == count);
    }

    /** Counts the session_update events a viewer receives, checks their order, and takes their latencies. */
    private static final class Tally {
        final int count;
        final List<Double> latencies;
        final CompletableFuture<Long> done = new CompletableFuture<>();
        long seen;
        boolean inOrder = true;

        Tally(int count) {
            this.count = count;
            this.latencies = new ArrayList<>(count);
        }

        /** One frame, received at {@code nowMicros}; true once all updates arrived. */
        boolean frame(String text, long nowMicros) throws Exception {
            JsonNode e = JSON.readTree(text);
            if ("session_update".equals(e.path("type").asText())) {
                JsonNode u = e.path("data").path("update");
                inOrder &= u.path("content").path("text").asText().equals(Long.toString(seen));
                latencies.add((nowMicros - u.path("_meta").path("sentMicros").asLong()) / 1000.0);
                if (++seen == count) done.complete(System.nanoTime());
            }
            return done.isDone();
        }
    }

    /**
     * The same agent inside a workspace sandbox, its updates read from the session WebSocket: by one thread blocked
     * on the socket (as the baseline's reader is blocked on the pipe), or with -Dbench.viewer=jdk by the JDK's
     * asynchronous client (java.net.http), whose own thread hand-offs then count as Corral's.
     */
    private static Result viaCorral(TestDaemon daemon, Api api, String ws, String script, int count) throws Exception {
        api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json", script.getBytes(StandardCharsets.UTF_8));
        JsonNode session = api.post("/api/v1/workspaces/" + ws + "/sessions", Api.json("agent", SandboxedFakeAgent.ID)).json();
        String sid = session.path("id").asText();
        long after = api.get("/api/v1/sessions/" + sid).json().path("lastSeq").asLong(0);
        String path = "/api/v1/sessions/" + sid + "/ws?after=" + after + "&token=" + daemon.token();
        var tally = new Tally(count);
        AutoCloseable viewer;
        if ("jdk".equals(System.getProperty("bench.viewer"))) {
            var listener = new WebSocket.Listener() {
                private final StringBuilder partial = new StringBuilder();

                @Override
                public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                        try {
                            tally.frame(partial.toString(), nowMicros());
                        } catch (Exception ex) {
                            tally.done.completeExceptionally(ex);
                        }
                        partial.setLength(0);
                    }
                    socket.request(1);
                    return null;
                }
            };
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + daemon.port() + path), listener).get(10, TimeUnit.SECONDS);
            viewer = socket::abort;
        } else {
            var socket = BlockingWebSocket.connect(daemon.port(), path);
            Thread.ofPlatform().name("viewer").daemon().start(() -> {
                try {
                    String frame;
                    while ((frame = socket.readText()) != null && !tally.frame(frame, nowMicros())) {
                        // next frame
                    }
                    tally.done.completeExceptionally(new IllegalStateException("the socket closed after " + tally.seen));
                } catch (Exception ex) {
                    tally.done.completeExceptionally(ex);
                }
            });
            viewer = socket;
        }
        boolean threads = Boolean.getBoolean("bench.threads") && count > 10_000;
        Map<String, Long> ticks0 = threads ? threadTicks(daemon.pid()) : Map.of();
        double events0 = threads ? metric(api, "corral_events_total") : 0;
        double commits0 = threads ? metric(api, "corral_event_commits_total") : 0;
        double cpu0 = cpuMicros(daemon.pid());
        long start = System.nanoTime();
        var r = api.post("/api/v1/sessions/" + sid + "/prompt", Api.json("text", "go"));
        if (r.status() != 202) throw new IllegalStateException("prompt failed: " + r);
        long end = tally.done.get(300, TimeUnit.SECONDS);
        double cpu = cpuMicros(daemon.pid()) - cpu0;
        if (threads) {
            printThreads(ticks0, threadTicks(daemon.pid()), count);
            System.out.printf("  events per commit: %.1f%n", (metric(api, "corral_events_total") - events0)
                    / (metric(api, "corral_event_commits_total") - commits0));
        }
        viewer.close();
        api.delete("/api/v1/sessions/" + sid);
        return new Result(count / ((end - start) / 1e9), tally.latencies, tally.inOrder && tally.seen == count, cpu / count);
    }

    private static void send(OutputStream in, String line) throws Exception {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
    }

    private static double pct(List<Double> xs, double p) {
        var s = new ArrayList<>(xs);
        Collections.sort(s);
        if (s.isEmpty()) return Double.NaN;
        return s.get(Math.max(0, Math.min(s.size() - 1, (int) Math.ceil(p / 100 * s.size()) - 1)));
    }
}
