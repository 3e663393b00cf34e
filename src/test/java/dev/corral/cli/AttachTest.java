package dev.corral.cli;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code corral attach} in a real tmux pane against the real daemon: type, read the screen, detach, re-attach. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class AttachTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    String ws;
    final String tmuxSocket = "corral-attach-" + ProcessHandle.current().pid();

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
        ws = api.createRunning(json("name", "attach")).path("id").asText();
        tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "env", "-i", "PATH=/usr/bin:/bin", "TERM=xterm-256color",
                "HOME=" + tmp, "CORRAL_URL=" + daemon.url(), "CORRAL_TOKEN=" + daemon.token(),
                "bash", "--norc", "--noprofile");
    }

    @AfterAll
    void stop() throws Exception {
        tmux("kill-server");
        daemon.close();
    }

    /** A short command line for the pane: a script holding the long java command. */
    private String attachLine(String... extra) throws IOException {
        var script = tmp.resolve("corral-attach");
        if (!Files.exists(script)) {
            String java = TestDaemon.javaCommand().stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                    .collect(Collectors.joining(" "));
            Files.writeString(script, "#!/bin/sh\nexec " + java + " attach \"$@\"\n");
        }
        return "sh " + script + " " + ws + " " + String.join(" ", extra);
    }

    @Test
    void typeReadDetachReattachSeeHistory() throws Exception {
        type(attachLine());
        enter();
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/workspaces/" + ws + "/terminals").json().size() == 1);
        var tab = api.get("/api/v1/workspaces/" + ws + "/terminals").json().get(0);
        assertThat(tab.path("cols").asInt()).isEqualTo(120);
        assertThat(tab.path("rows").asInt()).isEqualTo(40);

        type("echo \"hello-$((6*7)) from $(hostname)\"");
        enter();
        awaitScreen("hello-42 from " + ws);

        tmux("resize-window", "-t", "t", "-x", "100", "-y", "30");
        type("stty size");
        enter();
        awaitScreen("30 100");

        tmux("send-keys", "-t", "t", "C-]");
        awaitScreen("Re-attach with: corral attach " + ws + " --terminal ");
        var m = Pattern.compile("--terminal (t[0-9a-f]+)").matcher(screen());
        assertThat(m.find()).isTrue();
        String tid = m.group(1);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals/" + tid).json().path("alive").asBoolean()).isTrue();

        type("clear");
        enter();
        await().atMost(Duration.ofSeconds(10)).until(() -> !screen().contains("hello-42"));
        type(attachLine("--terminal", tid));
        enter();
        awaitScreen("hello-42 from " + ws);

        type("exit 3");
        enter();
        awaitScreen("[the shell exited with code 3]");
        assertThat(api.get("/api/v1/workspaces/" + ws + "/terminals").json().get(0).path("exitCode").asInt()).isEqualTo(3);
    }

    private void type(String text) throws Exception {
        tmux("send-keys", "-t", "t", "-l", text);
    }

    private void enter() throws Exception {
        tmux("send-keys", "-t", "t", "Enter");
    }

    private void awaitScreen(String text) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(screen()).contains(text));
    }

    private String screen() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-t", "t");
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of("tmux", "-L", tmuxSocket));
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            if (!args[0].equals("kill-server")) throw new IllegalStateException("tmux " + String.join(" ", args) + ": " + out);
        }
        return out;
    }
}
