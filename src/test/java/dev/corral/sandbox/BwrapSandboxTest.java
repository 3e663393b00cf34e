package dev.corral.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bubblewrap backend directly: start, commands, stop, and a failed start that explains itself. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BwrapSandboxTest {
    @TempDir
    Path tmp;

    private SandboxSpec spec(String id, Map<Path, String> extraMounts) throws Exception {
        return new SandboxSpec(id, Files.createDirectories(tmp.resolve(id + "/repo")), tmp.resolve(id + "/home"),
                tmp.resolve(id + "/run"), new Limits(256, 128, null), NetworkPolicy.NONE, extraMounts, Map.of("FOO", "bar"));
    }

    private BwrapBackend backend() {
        return new BwrapBackend(tmp.resolve("state"), "corral-test-" + ProcessHandle.current().pid(), Duration.ofSeconds(20));
    }

    @Test
    void runsCommandsAsTheSandboxUserAndStopsCleanly() throws Exception {
        var backend = backend();
        try (Sandbox s = backend.create(spec("ws-unit", Map.of()))) {
            s.start();
            assertThat(s.isRunning()).isTrue();
            Process p = s.spawn(SandboxCommand.shell("echo $FOO $(id -u) $(hostname) $PWD; touch /workspace/made"), true);
            assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo("bar 1000 ws-unit /workspace\n");
            assertThat(p.waitFor()).isZero();
            assertThat(tmp.resolve("ws-unit/repo/made")).exists();
            assertThat(s.status().limits()).isEqualTo(backend.cgroupMode().equals("none") ? Limits.NONE : new Limits(256, 128, null));
            s.stop();
            assertThat(s.isRunning()).isFalse();
            assertThat(s.awaitEnd(Duration.ofSeconds(5))).isPresent();
            assertThatThrownBy(() -> s.prepare(SandboxCommand.of("true"))).isInstanceOf(IllegalStateException.class);
        }
        assertThat(tmp.resolve("ws-unit/run")).doesNotExist();
    }

    @Test
    void failedStartNamesTheCauseAndCleansUp() throws Exception {
        var backend = backend();
        Sandbox s = backend.create(spec("ws-broken", Map.of(tmp.resolve("no-such-dir"), "/opt/x")));
        assertThatThrownBy(s::start).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("exited with code 1")
                .hasMessageContaining("no-such-dir");
        assertThat(s.isRunning()).isFalse();
        assertThat(tmp.resolve("ws-broken/run")).doesNotExist();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("--hostname ws-broken")))
                .isEmpty();
    }

    @Test
    void missingWorkspaceDirectoryIsAClearError() throws Exception {
        var spec = spec("ws-gone", Map.of());
        Files.delete(spec.workspaceDir());
        assertThatThrownBy(() -> backend().create(spec).start()).isInstanceOf(SandboxStartException.class)
                .hasMessageContaining("does not exist");
        assertThat(spec.workspaceDir()).doesNotExist();
    }
}
