package dev.corral.sandbox;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The escape battery: what a sandboxed program must not be able to do, tried from inside real sandboxes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class SandboxEscapeTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    String ws;
    String other;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/bwrap"))) {
            throw new AssertionError("bubblewrap is not installed: run ./run-tests (it installs it) or apt-get install bubblewrap");
        }
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
        ws = api.createRunning(json("name", "inmate")).path("id").asText();
        other = api.createRunning(json("name", "neighbour")).path("id").asText();
        api.sh(other, "echo secret > /workspace/neighbour.txt");
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    private JsonNode sh(String line) {
        return api.sh(ws, line);
    }

    @Test
    void hostSecretsAreNotThere() {
        assertThat(sh("cat /etc/shadow").path("exitCode").asInt()).isNotZero();
        assertThat(sh("ls /root").path("exitCode").asInt()).isNotZero();
        assertThat(sh("ls /etc/ssh").path("exitCode").asInt()).isNotZero();
        assertThat(sh("cat /etc/passwd").path("stdout").asText()).doesNotContain("postgres").contains("corral:x:1000");
        // Only the sandbox user; no capabilities.
        assertThat(sh("grep CapEff /proc/self/status").path("stdout").asText()).contains("0000000000000000");
    }

    @Test
    void otherWorkspacesAndTheDaemonHomeAreInvisible() {
        String hostPath = daemon.home().resolve("workspaces").resolve(other).resolve("repo").toString();
        assertThat(sh("cat " + hostPath + "/neighbour.txt").path("exitCode").asInt()).isNotZero();
        assertThat(sh("ls " + daemon.home()).path("exitCode").asInt()).isNotZero();
        assertThat(sh("find / -xdev -name neighbour.txt 2>/dev/null; find /workspace /home /tmp -name neighbour.txt").path("stdout").asText()).isEmpty();
    }

    @Test
    void hostProcessesAreInvisible() {
        String ps = sh("ps -eo pid,comm").path("stdout").asText();
        assertThat(ps).doesNotContain("java").contains("dash").contains("ps");
        assertThat(sh("ps -e --no-headers | wc -l").path("stdout").asText().trim()).satisfies(n -> assertThat(Integer.parseInt(n)).isLessThan(10));
        assertThat(sh("kill -0 " + daemon.pid()).path("exitCode").asInt()).isNotZero();
    }

    @Test
    void hostFileSystemIsReadOnly() {
        JsonNode r = sh("touch /usr/evil");
        assertThat(r.path("exitCode").asInt()).isNotZero();
        assertThat(r.path("stderr").asText()).contains("Read-only file system");
        assertThat(sh("mount -o remount,rw /usr").path("exitCode").asInt()).isNotZero();
        assertThat(sh("touch /etc/evil").path("exitCode").asInt()).isNotZero();
        assertThat(Path.of("/usr/evil")).doesNotExist();
    }

    @Test
    void networkNoneReachesNoHostPort() throws Exception {
        String probe = "timeout 5 bash -c 'echo > /dev/tcp/%s/%d' 2>&1; echo rc=$?";
        assertThat(sh(String.format(probe, "127.0.0.1", daemon.port())).path("stdout").asText()).doesNotContain("rc=0");
        for (String ip : hostAddresses()) {
            assertThat(sh(String.format(probe, ip, daemon.port())).path("stdout").asText()).as(ip).doesNotContain("rc=0");
        }
        assertThat(sh("cat /proc/net/dev | grep -v -e lo: -e Inter -e face | wc -l").path("stdout").asText().trim()).isEqualTo("0");
    }

    @Test
    void forwardReachesExactlyTheForwardedHostPort() {
        String fwd = api.createRunning(json("name", "forwarded", "network",
                java.util.Map.of("mode", "none", "forward", List.of("127.0.0.1:" + daemon.port())))).path("id").asText();
        JsonNode r = api.sh(fwd, "python3 -c \"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:"
                + daemon.port() + "/health').read().decode())\"");
        assertThat(r.path("stdout").asText()).contains("\"status\":\"ok\"");
        // Still its own network namespace: only loopback.
        assertThat(api.sh(fwd, "cat /proc/net/dev | grep -c : ").path("stdout").asText().trim()).isEqualTo("1");
    }

    @Test
    void forkBombIsContained() {
        String bomb = api.createRunning(json("name", "forkbomb", "limits", java.util.Map.of("pids", 64))).path("id").asText();
        var started = api.post("/api/v1/workspaces/" + bomb + "/processes",
                json("argv", List.of("bash", "-c", "b() { b | b & }; b; sleep 30")));
        assertThat(started.status()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/workspaces/" + bomb).json()
                .path("sandbox").path("pidsLimitHits").asLong() > 0);
        // The daemon and the other workspaces keep working.
        assertThat(new Api(daemon.url(), null).get("/health").status()).isEqualTo(200);
        assertThat(api.sh(other, "echo alive").path("stdout").asText()).isEqualTo("alive\n");
        assertThat(api.post("/api/v1/workspaces/" + bomb + "/stop", null).json().path("state").asText()).isEqualTo("stopped");
    }

    @Test
    void memoryBombIsKilledAndReported() {
        String hog = api.createRunning(json("name", "memhog", "limits", java.util.Map.of("memoryMb", 64))).path("id").asText();
        JsonNode r = api.sh(hog, "head -c 400M /dev/zero | tail > /dev/null; echo done");
        JsonNode w = api.get("/api/v1/workspaces/" + hog).json();
        assertThat(w.path("sandbox").path("oomKills").asLong()).as(r.toString()).isPositive();
        assertThat(w.path("sandbox").path("limits").path("memoryMb").asInt()).isEqualTo(64);
        assertThat(api.sh(other, "echo alive").path("stdout").asText()).isEqualTo("alive\n");
        assertThat(api.sh(hog, "echo still-usable").path("stdout").asText()).isEqualTo("still-usable\n");
    }

    private static List<String> hostAddresses() throws Exception {
        return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
                .map(a -> a.getHostAddress()).toList();
    }
}
