package dev.corral.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 2's figures, measured in one run: a bare {@code bwrap … true} start (the baseline), a workspace's
 * create-to-first-exec from a local directory, and the {@code exec true} round trip through the API.
 * Usage: bench/run workspace [iterations]
 */
public final class WorkspaceBench {
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

        try (TestDaemon daemon = TestDaemon.start(tmp.resolve("home"), java.util.Map.of("LOG_LEVEL", "WARN", "CORRAL_RATE_EXEC_PER_MINUTE", "0"))) {
            Api api = daemon.api();
            String execTrue = Api.json("argv", List.of("true"));
            // Warm up the daemon's JIT and connection pool.
            for (int i = 0; i < 10; i++) createExecDelete(api, dir, execTrue, "warm" + i);
            var create = new ArrayList<Double>();
            for (int i = 0; i < n; i++) create.add(createExecDelete(api, dir, execTrue, "b" + i));

            String id = api.createRunning(Api.json("name", "exec-bench", "path", dir.toString())).path("id").asText();
            for (int i = 0; i < 30; i++) api.post("/api/v1/workspaces/" + id + "/exec", execTrue);
            var exec = new ArrayList<Double>();
            for (int i = 0; i < Math.max(n, 200); i++) {
                long t = System.nanoTime();
                var r = api.post("/api/v1/workspaces/" + id + "/exec", execTrue);
                exec.add((System.nanoTime() - t) / 1e6);
                if (r.json().path("exitCode").asInt() != 0) throw new IllegalStateException("exec failed: " + r);
            }

            var resume = new ArrayList<Double>();
            for (int i = 0; i < n; i++) {
                api.post("/api/v1/workspaces/" + id + "/stop", null);
                long t = System.nanoTime();
                var r = api.post("/api/v1/workspaces/" + id + "/resume", null);
                resume.add((System.nanoTime() - t) / 1e6);
                if (r.status() != 200) throw new IllegalStateException("resume failed: " + r);
            }

            Stats base = Stats.of("bare bwrap ... true (baseline)", bwrap);
            System.out.println(Stats.header());
            System.out.println(base.row(base));
            System.out.println(Stats.of("workspace create -> first exec (local dir)", create).row(base));
            System.out.println(Stats.of("workspace start (POST resume, until running)", resume).row(base));
            System.out.println(Stats.of("exec true round trip (HTTP API)", exec).row(base));
            System.out.println("target: workspace start and exec round trip each within 1.5x of the baseline median");
        }
    }

    private static double createExecDelete(Api api, Path dir, String execTrue, String name) {
        long t = System.nanoTime();
        JsonNode w = api.post("/api/v1/workspaces", Api.json("name", name, "path", dir.toString())).json();
        String id = w.path("id").asText();
        var r = api.post("/api/v1/workspaces/" + id + "/exec", execTrue);
        double ms = (System.nanoTime() - t) / 1e6;
        if (r.status() != 200 || r.json().path("exitCode").asInt() != 0) throw new IllegalStateException("exec failed: " + r);
        api.delete("/api/v1/workspaces/" + id);
        return ms;
    }

    private static double run(List<String> cmd) throws Exception {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IllegalStateException("bwrap failed");
        return (System.nanoTime() - t) / 1e6;
    }
}
