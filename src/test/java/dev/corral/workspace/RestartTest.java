package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A daemon that dies (kill -9) or stops leaves no sandbox behind, and a new one brings every workspace back. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class RestartTest implements DaemonLogOnFailure.HasDaemon {
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
    void killMinus9LeavesNoOrphansAndResumeKeepsEverything() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String a = api.createRunning(json("name", "alpha")).path("id").asText();
        String b = api.createRunning(json("name", "beta")).path("id").asText();
        api.sh(a, "echo kept > /workspace/file.txt && mkdir -p ~/.codex && echo cfg > ~/.codex/config.toml");
        String marker = "sleep 4242" + (System.nanoTime() % 1000);
        assertThat(api.post("/api/v1/workspaces/" + a + "/processes", json("command", marker)).status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> !hostProcesses(marker).isEmpty());
        assertThat(sandboxesOf(a)).hasSize(1);

        daemon.kill();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(hostProcesses(marker)).as("sandboxed process after kill -9").isEmpty();
            assertThat(sandboxesOf(a)).isEmpty();
            assertThat(sandboxesOf(b)).isEmpty();
        });

        daemon.restart();
        api = daemon.api();
        var list = api.get("/api/v1/workspaces").json();
        assertThat(list.findValuesAsText("state")).containsOnly("stopped");
        assertThat(list.get(0).path("stateReason").asText()).contains("daemon stopped");

        assertThat(api.post("/api/v1/workspaces/" + a + "/resume", null).json().path("state").asText()).isEqualTo("running");
        assertThat(api.sh(a, "cat /workspace/file.txt ~/.codex/config.toml").path("stdout").asText()).isEqualTo("kept\ncfg\n");
        assertThat(api.get("/api/v1/workspaces/" + b).json().path("state").asText()).isEqualTo("stopped");
    }

    @Test
    void gracefulShutdownStopsSandboxesAndRecordsIt() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home2"));
        Api api = daemon.api();
        String a = api.createRunning(json("name", "gamma")).path("id").asText();
        assertThat(sandboxesOf(a)).hasSize(1);
        daemon.terminate();
        assertThat(sandboxesOf(a)).isEmpty();
        daemon.restart();
        var w = daemon.api().get("/api/v1/workspaces/" + a).json();
        assertThat(w.path("state").asText()).isEqualTo("stopped");
        assertThat(daemon.api().post("/api/v1/workspaces/" + a + "/resume", null).status()).isEqualTo(200);
    }

    /** Host processes whose command line contains {@code text}. */
    static List<ProcessHandle> hostProcesses(String text) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(text)).orElse(false)).toList();
    }

    /**
     * The sandboxes of one workspace: the bwrap processes inside their namespaces (bwrap forks once there) whose
     * mounts include the workspace's home directory. Its command line does not tell: a warm sandbox was started
     * before the workspace existed, and its directories were mounted into it later.
     */
    static List<ProcessHandle> sandboxesOf(String id) {
        String home = "/workspaces/" + id + "/home ";
        return ProcessHandle.allProcesses().filter(RestartTest::isBwrap)
                .filter(p -> p.parent().map(RestartTest::isBwrap).orElse(false))
                .filter(p -> {
                    try {
                        return java.nio.file.Files.readString(Path.of("/proc/" + p.pid() + "/mountinfo")).contains(home);
                    } catch (java.io.IOException e) {
                        return false; // gone
                    }
                }).toList();
    }

    /** For failure messages: each sandbox's pid, parent, start and the mountinfo lines that name the workspace. */
    static String describe(List<ProcessHandle> sandboxes, String id) {
        var out = new StringBuilder();
        for (var p : sandboxes) {
            out.append("pid ").append(p.pid()).append(" parent ").append(p.parent().map(ProcessHandle::pid).orElse(-1L))
                    .append(" started ").append(p.info().startInstant().orElse(null)).append(" alive ")
                    .append(p.isAlive()).append('\n');
            try {
                for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + p.pid() + "/mountinfo"))) {
                    if (line.contains("/workspaces/" + id) || line.contains("/pool/")) out.append("  ").append(line).append('\n');
                }
            } catch (java.io.IOException e) {
                out.append("  (gone)\n");
            }
        }
        return out.toString();
    }

    private static boolean isBwrap(ProcessHandle p) {
        return p.info().command().map(c -> c.endsWith("/bwrap")).orElse(false);
    }
}
