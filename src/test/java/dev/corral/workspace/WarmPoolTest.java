package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.api.TerminalSocketClient;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm sandbox pool through the running daemon (as root in its own mount namespace, as {@code ./corral serve}
 * runs it): a workspace served by a sandbox started before it existed sees its own files, home, name and limits,
 * everywhere a program can start (exec, terminals, a resume); the host never sees the pool's mounts, and a daemon
 * killed with -9 leaves none behind and the user's files untouched.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class WarmPoolTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    Path tmp;

    TestDaemon daemon;
    Api api;
    Path project;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeEach
    void start() throws IOException {
        assumeTrue(!TestDaemon.serveNamespace().isEmpty(), "the warm pool needs root and unshare");
        project = Files.createDirectories(tmp.resolve("project"));
        Files.writeString(project.resolve("README"), "from the host\n");
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("corral_sandbox_warm") == 2);
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
    }

    private double metric(String name) {
        for (String line : api.get("/metrics").text().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no " + name + " in /metrics");
    }

    private long warmStarts() {
        return (long) metric("corral_sandbox_warm_starts_total");
    }

    /** Mount points under the daemon's home as the host (this JVM) sees them. */
    private List<String> hostMountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).filter(p -> p.startsWith(dir.toString())).toList();
    }

    private static List<Path> slots(Path pool) throws IOException {
        try (var list = Files.list(pool)) {
            return list.toList();
        }
    }

    @Test
    void aWarmSandboxBecomesTheWorkspacesOwn() throws Exception {
        String id = api.createRunning(json("name", "warm", "path", project.toString(),
                "limits", Map.of("pids", 64, "memoryMb", 256))).path("id").asText();
        assertThat(warmStarts()).isEqualTo(1);

        JsonNode r = api.sh(id, "hostname; cat /etc/hostname; grep -c " + id + " /etc/hosts; pwd; cat /workspace/README; "
                + "echo made > /workspace/made; echo kept > ~/kept; id -un");
        assertThat(r.path("exitCode").asInt()).as(r.toString()).isZero();
        assertThat(r.path("stdout").asText()).isEqualTo(id + "\n" + id + "\n1\n/workspace\nfrom the host\ncorral\n");
        assertThat(project.resolve("made")).hasContent("made");
        assertThat(tmp.resolve("home/workspaces/" + id + "/home/kept")).hasContent("kept");
        assertThat(hostMountsUnder(tmp)).as("the pool's mounts stay in the daemon's namespace").isEmpty();

        // Its cgroup got the workspace's limits when it was handed over.
        var sandbox = dev.corral.workspace.RestartTest.sandboxesOf(id);
        assertThat(sandbox).hasSize(1);
        for (String line : Files.readAllLines(Path.of("/proc/" + sandbox.getFirst().pid() + "/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f[1].equals("pids")) assertThat(Path.of("/sys/fs/cgroup/pids" + f[2], "pids.max")).hasContent("64");
            if (f[1].equals("memory")) {
                assertThat(Path.of("/sys/fs/cgroup/memory" + f[2], "memory.limit_in_bytes")).hasContent(String.valueOf(256L << 20));
            }
        }

        // A terminal enters the same sandbox: it must land in the workspace, not in the slot under it.
        var t = api.post("/api/v1/workspaces/" + id + "/terminals", json("cols", 80, "rows", 24));
        assertThat(t.status()).as(t.toString()).isEqualTo(201);
        String url = "ws://127.0.0.1:" + daemon.port() + "/api/v1/workspaces/" + id + "/terminals/"
                + t.json().path("terminalId").asText() + "?offset=0&token=" + daemon.token();
        try (var c = TerminalSocketClient.connect(url)) {
            c.send("echo \"$(hostname)|$(pwd)|$(cat made)\"\n");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(c.text()).contains(id + "|/workspace|made"));
        }

        // Stopped and resumed: another warm sandbox, the same files and home.
        assertThat(api.post("/api/v1/workspaces/" + id + "/stop", null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("corral_sandbox_warm") == 2);
        assertThat(api.post("/api/v1/workspaces/" + id + "/resume", null).status()).isEqualTo(200);
        assertThat(warmStarts()).isEqualTo(2);
        assertThat(api.sh(id, "cat ~/kept /workspace/made; hostname").path("stdout").asText()).isEqualTo("kept\nmade\n" + id + "\n");

        // Deleting the workspace unmounts the user's directory and leaves it alone.
        assertThat(api.delete("/api/v1/workspaces/" + id).status()).isIn(200, 204);
        assertThat(project.resolve("README")).hasContent("from the host");
        assertThat(project.resolve("made")).exists();
        assertThat(Files.readString(Path.of("/proc/" + daemon.pid() + "/mountinfo"))).doesNotContain(project.toString());
    }

    @Test
    void twoWarmSandboxesSeeOnlyTheirOwnWorkspace() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("secret"), "b's\n");
        String a = api.createRunning(json("name", "a", "path", project.toString())).path("id").asText();
        String b = api.createRunning(json("name", "b", "path", other.toString())).path("id").asText();
        assertThat(warmStarts()).isEqualTo(2);
        // Every slot is a shared mount in the daemon's namespace, but a sandbox keeps only its own: the others went
        // with the old root when bubblewrap switched roots, and with them their propagation.
        String mountsOfA = api.sh(a, "cat /proc/self/mountinfo").path("stdout").asText();
        assertThat(mountsOfA).contains("/workspaces/" + a + "/home").doesNotContain(b).doesNotContain(other.toString());
        assertThat(api.sh(a, "cat /workspace/secret").path("exitCode").asInt()).isNotZero();
        assertThat(api.sh(b, "cat /workspace/secret; cat /workspace/README").path("stdout").asText()).isEqualTo("b's\n");
    }

    @Test
    void workspacesThePoolCannotServeStartCold() {
        String id = api.createRunning(json("name", "hostnet", "path", project.toString(), "network", Map.of("mode", "host")))
                .path("id").asText();
        assertThat(warmStarts()).isZero();
        assertThat(api.sh(id, "hostname; cat README").path("stdout").asText()).isEqualTo(id + "\nfrom the host\n");
    }

    @Test
    void aDaemonKilledWithMinus9LeavesNoMountAndTheNextCleansUp() throws Exception {
        String id = api.createRunning(json("name", "doomed", "path", project.toString())).path("id").asText();
        api.sh(id, "echo before > /workspace/before");
        Path pool = tmp.resolve("home/sandbox/pool");
        await().atMost(Duration.ofSeconds(30)).until(() -> slots(pool).size() == 3); // the workspace's slot, two warm

        daemon.kill();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(RestartTest.sandboxesOf(id)).isEmpty());
        assertThat(hostMountsUnder(tmp)).isEmpty();
        assertThat(project.resolve("README")).hasContent("from the host");
        assertThat(project.resolve("before")).hasContent("before");

        daemon.restart();
        api = daemon.api();
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("corral_sandbox_warm") == 2);
        assertThat(slots(pool)).as("only the new daemon's slots").hasSize(2);
        assertThat(api.post("/api/v1/workspaces/" + id + "/resume", null).status()).isEqualTo(200);
        assertThat(api.sh(id, "cat before").path("stdout").asText()).isEqualTo("before\n");
        assertThat(project.resolve("README")).hasContent("from the host");
    }
}
