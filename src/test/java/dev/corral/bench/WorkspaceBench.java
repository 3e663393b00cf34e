package dev.corral.bench;

import dev.corral.testing.Api;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 2's figures, measured in one run: a bare {@code bwrap … true} start (the baseline), a workspace's
 * create-to-first-exec from a local directory, its start (resume), and the {@code exec true} round trip through
 * the API; with the warm sandbox pool (as {@code ./corral serve} runs as root) and without it. Requests go over one
 * kept-alive socket ({@link BlockingHttp}) so that the figures are the daemon's, not an HTTP client's.
 * Usage: bench/run workspace [iterations]
 */
public final class WorkspaceBench {
    private static final long PAUSE_MS = 250;
    private static final String EXEC_TRUE = Api.json("argv", List.of("true"));

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path tmp = Files.createTempDirectory("corral-bench");
        Path dir = Files.createDirectories(tmp.resolve("project"));
        Files.writeString(dir.resolve("README.md"), "bench\n");

        List<String> bare = List.of("bwrap", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-net", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
                "--tmpfs", "/tmp", "--bind", dir.toString(), "/workspace", "--", "/usr/bin/true");
        for (int i = 0; i < 5; i++) run(bare);
        var bwrap = new ArrayList<Double>();
        for (int i = 0; i < n; i++) bwrap.add(run(bare));

        var rows = new ArrayList<Stats>();
        String warmNote;
        Map<String, String> env = Map.of("LOG_LEVEL", "WARN", "CORRAL_RATE_EXEC_PER_MINUTE", "0");
        // The daemon as ./corral serve runs it: as root in its own mount namespace, with the warm sandbox pool.
        try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home"), env);
             var http = new BlockingHttp(daemon.port(), daemon.token())) {
            for (int i = 0; i < 20; i++) createExecDelete(http, dir, "warm" + i); // the daemon's JIT
            Thread.sleep(PAUSE_MS);
            long warm0 = warmStarts(daemon.api());
            var create = new ArrayList<Double>();
            for (int i = 0; i < n; i++) {
                create.add(createExecDelete(http, dir, "b" + i));
                Thread.sleep(PAUSE_MS); // workspaces created one at a time, as people do: the pool has refilled
            }
            long warm1 = warmStarts(daemon.api());
            var burst = new ArrayList<Double>();
            for (int i = 0; i < n; i++) burst.add(createExecDelete(http, dir, "c" + i));
            long warm2 = warmStarts(daemon.api());
            warmNote = String.format("warm starts: %d of %d spaced creates, %d of %d back-to-back (pool size %s)",
                    warm1 - warm0, n, warm2 - warm1, n, System.getenv().getOrDefault("CORRAL_WARM_SANDBOXES", "2"));
            if (warm1 == warm0) warmNote += "; the pool is off here (it needs root and the mount namespace ./corral serve gives)";
            Thread.sleep(PAUSE_MS);

            String id = daemon.api().createRunning(Api.json("name", "exec-bench", "path", dir.toString())).path("id").asText();
            for (int i = 0; i < 30; i++) exec(http, id);
            var exec = new ArrayList<Double>();
            for (int i = 0; i < Math.max(n, 200); i++) {
                long t = System.nanoTime();
                exec(http, id);
                exec.add((System.nanoTime() - t) / 1e6);
            }
            var resume = resumes(http, id, n);
            rows.add(Stats.of("workspace create -> first exec (local dir)", create));
            rows.add(Stats.of("  same, back-to-back creates (a burst)", burst));
            rows.add(Stats.of("workspace start (POST resume, until running)", resume));
            rows.add(Stats.of("exec true round trip (HTTP API)", exec));
        }
        // The same without the pool: every start launches bubblewrap.
        var coldEnv = new java.util.HashMap<>(env);
        coldEnv.put("CORRAL_WARM_SANDBOXES", "0");
        try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home-cold"), coldEnv);
             var http = new BlockingHttp(daemon.port(), daemon.token())) {
            for (int i = 0; i < 20; i++) createExecDelete(http, dir, "warm" + i);
            var create = new ArrayList<Double>();
            for (int i = 0; i < n; i++) create.add(createExecDelete(http, dir, "b" + i));
            String id = daemon.api().createRunning(Api.json("name", "exec-bench", "path", dir.toString())).path("id").asText();
            var resume = resumes(http, id, n);
            rows.add(Stats.of("create -> first exec, no pool (cold start)", create));
            rows.add(Stats.of("start (resume), no pool (cold start)", resume));
        }
        Stats base = Stats.of("bare bwrap ... true (baseline)", bwrap);
        System.out.println(Stats.header());
        System.out.println(base.row(base));
        rows.forEach(r -> System.out.println(r.row(base)));
        System.out.println(warmNote + "; spaced creates are " + PAUSE_MS + " ms apart (outside the timing)");
        System.out.println("target: workspace start and exec round trip each within 1.5x of the baseline median");
    }

    /** Stop, then time POST resume until it answers (running), {@code n} times, the pool refilled in between. */
    private static List<Double> resumes(BlockingHttp http, String id, int n) throws Exception {
        var resume = new ArrayList<Double>();
        for (int i = 0; i < n; i++) {
            http.post("/api/v1/workspaces/" + id + "/stop", null);
            Thread.sleep(PAUSE_MS);
            long t = System.nanoTime();
            var r = http.post("/api/v1/workspaces/" + id + "/resume", null);
            resume.add((System.nanoTime() - t) / 1e6);
            if (r.status() != 200) throw new IllegalStateException("resume failed: " + r);
        }
        return resume;
    }

    private static void exec(BlockingHttp http, String id) throws Exception {
        var r = http.post("/api/v1/workspaces/" + id + "/exec", EXEC_TRUE);
        if (r.status() != 200 || r.json().path("exitCode").asInt() != 0) throw new IllegalStateException("exec failed: " + r);
    }

    private static double createExecDelete(BlockingHttp http, Path dir, String name) throws Exception {
        long t = System.nanoTime();
        var w = http.post("/api/v1/workspaces", Api.json("name", name, "path", dir.toString()));
        if (w.status() != 201 && w.status() != 200) throw new IllegalStateException("create failed: " + w);
        String id = w.json().path("id").asText();
        exec(http, id);
        double ms = (System.nanoTime() - t) / 1e6;
        http.delete("/api/v1/workspaces/" + id);
        return ms;
    }

    /** The daemon's count of starts served by a warm sandbox ({@code /metrics}). */
    private static long warmStarts(Api api) {
        for (String line : api.get("/metrics").text().split("\n")) {
            if (line.startsWith("corral_sandbox_warm_starts_total")) return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new IllegalStateException("no corral_sandbox_warm_starts_total in /metrics");
    }

    private static double run(List<String> cmd) throws Exception {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IllegalStateException("bwrap failed");
        return (System.nanoTime() - t) / 1e6;
    }
}
