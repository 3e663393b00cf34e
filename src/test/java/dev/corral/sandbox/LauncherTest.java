package dev.corral.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Programs started through a real sandbox's launcher: environment, builtins, signals, workers, virtual threads. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LauncherTest {
    @TempDir
    Path tmp;
    Sandbox sandbox;

    @BeforeEach
    void start() throws Exception {
        var backend = new BwrapBackend(tmp.resolve("state"), "corral-launcher-test-" + ProcessHandle.current().pid(), Duration.ofSeconds(20));
        sandbox = backend.create(new SandboxSpec("ws-launch", Files.createDirectories(tmp.resolve("repo")), tmp.resolve("home"),
                tmp.resolve("run"), new Limits(256, 256, null), NetworkPolicy.NONE, Map.of(), Map.of("FOO", "bar")));
        sandbox.start();
    }

    @AfterEach
    void stop() {
        sandbox.stop();
    }

    private String run(SandboxCommand command) throws Exception {
        Process p = sandbox.spawn(command, true);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void aProgramSeesExactlyItsEnvironmentAndDirectory() throws Exception {
        String env = run(new SandboxCommand(List.of("env"), "/tmp", Map.of("EXTRA", "it's \"quoted\"\nand two lines")));
        assertThat(env).contains("FOO=bar\n", "EXTRA=it's \"quoted\"\nand two lines\n", "HOME=/home/corral\n")
                .doesNotContain("PWD=", "SHLVL=", "OLDPWD=");
        assertThat(run(new SandboxCommand(List.of("pwd"), "/tmp", Map.of()))).isEqualTo("/tmp\n");
        assertThat(run(new SandboxCommand(List.of("ls", "/nowhere"), "/tmp", Map.of()))).contains("No such file");
        assertThat(sandbox.spawn(new SandboxCommand(List.of("true"), "/no/such/dir", Map.of()), true).waitFor()).isNotZero();
        assertThat(sandbox.spawn(SandboxCommand.of("no-such-program"), true).waitFor()).isEqualTo(127);
        assertThatThrownBy(() -> sandbox.spawn(new SandboxCommand(List.of("true"), null, Map.of("1BAD", "x")), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sandbox.spawn(SandboxCommand.of("echo", "nul\0byte"), true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesOfShellBuiltinsRunThePrograms() throws Exception {
        // dash's own echo would turn \n into a newline; /usr/bin/echo without -e prints it as it is.
        assertThat(run(SandboxCommand.of("echo", "a\\nb"))).isEqualTo("a\\nb\n");
        assertThat(run(SandboxCommand.of("printf", "%s-%s\n", "x", "y"))).isEqualTo("x-y\n");
        Process t = sandbox.spawn(SandboxCommand.of("test", "-d", "/workspace"), true);
        assertThat(t.waitFor()).isZero();
    }

    @Test
    void stdinStdoutStderrAndExitStatus() throws Exception {
        Process p = sandbox.spawn(SandboxCommand.shell("tr a-z A-Z; echo oops >&2; exit 4"), false);
        p.getOutputStream().write("hello\n".getBytes());
        p.getOutputStream().close();
        assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo("HELLO\n");
        assertThat(new String(p.getErrorStream().readAllBytes())).isEqualTo("oops\n");
        assertThat(p.waitFor()).isEqualTo(4);
        assertThat(p.isAlive()).isFalse();
        assertThat(p.exitValue()).isEqualTo(4);
    }

    @Test
    void signalsReachTheProgramAndItsChildrenAndSignalledWorkersAreNotReused() throws Exception {
        // INT must not be ignored (a shell's background jobs would ignore it for good).
        Process p = sandbox.spawn(SandboxCommand.shell("trap 'echo got-int; exit 5' INT; echo ready; while :; do sleep 0.05; done"), true);
        var out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        assertThat(out.readLine()).isEqualTo("ready");
        assertThat(sandbox.signal(p, "INT")).isTrue();
        assertThat(out.readLine()).isEqualTo("got-int");
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(5);
        assertThat(sandbox.signal(p, "TERM")).isFalse();

        Process tree = sandbox.spawn(SandboxCommand.shell("sleep 300 & sleep 300 & echo started; wait"), true);
        assertThat(new BufferedReader(new InputStreamReader(tree.getInputStream())).readLine()).isEqualTo("started");
        assertThat(sandbox.signal(tree, "KILL")).isTrue();
        assertThat(tree.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(tree.exitValue()).isEqualTo(137);
        assertThat(run(SandboxCommand.shell("ps -eo comm | grep -c '^sleep' || true")).trim()).isEqualTo("0");
        assertThatThrownBy(() -> sandbox.signal(tree, "STOP")).isInstanceOf(IllegalArgumentException.class);
        // Later programs still start (on another worker).
        assertThat(run(SandboxCommand.of("echo", "after"))).isEqualTo("after\n");
    }

    @Test
    void manyProgramsAtOnceAndWorkersAreReused() throws Exception {
        var running = new ArrayList<CompletableFuture<String>>();
        for (int i = 0; i < 12; i++) {
            String word = "w" + i;
            running.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run(SandboxCommand.shell("sleep 0.2; echo " + word));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < 12; i++) assertThat(running.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("w" + i + "\n");
        for (int i = 0; i < 30; i++) assertThat(run(SandboxCommand.of("echo", "n" + i))).isEqualTo("n" + i + "\n");
        // One after another reuse idle workers: far fewer workers than programs.
        long workers;
        try (var dirs = Files.list(tmp.resolve("run/launch"))) {
            workers = dirs.count();
        }
        assertThat(workers).isLessThanOrEqualTo(16);
    }

    @Test
    void idleProgramsReadByVirtualThreadsDoNotStallOtherVirtualThreads() throws Exception {
        var readers = new ArrayList<Thread>();
        var processes = new ArrayList<Process>();
        for (int i = 0; i < 16; i++) {
            Process p = sandbox.spawn(SandboxCommand.of("sleep", "60"), false);
            processes.add(p);
            readers.add(Thread.ofVirtual().start(() -> {
                try {
                    p.getInputStream().read();
                } catch (Exception ignored) {
                    // killed at the end
                }
            }));
        }
        Thread.sleep(300);
        var ran = new CompletableFuture<Boolean>();
        Thread.ofVirtual().start(() -> ran.complete(true));
        assertThat(ran.get(5, TimeUnit.SECONDS)).isTrue();
        // And a virtual thread can still start and read another program.
        var echoed = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                echoed.complete(run(SandboxCommand.of("echo", "still")));
            } catch (Exception e) {
                echoed.completeExceptionally(e);
            }
        });
        assertThat(echoed.get(20, TimeUnit.SECONDS)).isEqualTo("still\n");
        for (Process p : processes) sandbox.signal(p, "KILL");
        for (Thread t : readers) t.join(10_000);
    }

    @Test
    void aStoppedSandboxFailsStartsClearlyAndEndsItsPrograms() throws Exception {
        Process p = sandbox.spawn(SandboxCommand.of("sleep", "300"), true);
        sandbox.stop();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);
        assertThatThrownBy(() -> sandbox.spawn(SandboxCommand.of("true"), true)).isInstanceOf(IllegalStateException.class);
    }
}
