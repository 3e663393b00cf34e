package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The real CLI, as a separate process, against the real daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class CliTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"));
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    record Run(int code, String out, String err) {}

    Run corral(Map<String, String> env, String... args) throws Exception {
        return corralWithInput(env, "", args);
    }

    Run corralWithInput(Map<String, String> env, String input, String... args) throws Exception {
        List<String> cmd = TestDaemon.javaCommand();
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("CORRAL_HOME", daemon.home().toString());
        pb.environment().put("CORRAL_URL", daemon.url());
        pb.environment().putAll(env);
        Process p = pb.start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        var errBytes = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread.ofVirtual().start(() -> {
            try {
                errBytes.complete(p.getErrorStream().readAllBytes());
            } catch (java.io.IOException e) {
                errBytes.complete(new byte[0]);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(120, TimeUnit.SECONDS);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(errBytes.get(), StandardCharsets.UTF_8));
    }

    Run corral(String... args) throws Exception {
        return corral(Map.of(), args);
    }

    @Test
    void spawnListStopResumeRm() throws Exception {
        Path repo = tmp.resolve("proj");
        Files.createDirectories(repo);
        dev.corral.workspace.WorkspaceApiTestSupport.gitRepo(repo, "hello.txt", "hi\n");

        Run spawn = corral("spawn", "--repo", repo.toString(), "--name", "cli-ws");
        assertThat(spawn.code()).as(spawn.err()).isZero();
        String id = spawn.out().trim();
        assertThat(id).startsWith("ws-");
        assertThat(daemon.api().sh(id, "cat hello.txt").path("stdout").asText()).isEqualTo("hi\n");

        Run list = corral("list", "--json");
        assertThat(list.code()).isZero();
        JsonNode arr = Api.JSON.readTree(list.out());
        assertThat(arr.findValuesAsText("id")).contains(id);
        assertThat(corral("list").out()).contains("cli-ws").contains("running");

        assertThat(corral("stop", id).out()).contains("stopped");
        assertThat(corral("resume", "cli-ws").out()).contains("running");
        assertThat(corral("rm", id).code()).isZero();
        assertThat(corral("list", "--json").out()).doesNotContain(id);
    }

    @Test
    void tokenAndDoctor() throws Exception {
        Run token = corral("token");
        assertThat(token.out().trim()).isEqualTo(daemon.token());
        Run doctor = corral("doctor");
        assertThat(doctor.out()).contains("bwrap").contains("cgroups").contains("jdk").contains("daemon");
        assertThat(doctor.out()).containsPattern("ok +bwrap");
    }

    @Test
    void keysAreReadFromStdinAndListedMasked() throws Exception {
        Run set = corralWithInput(Map.of(), "sk-ant-api03-FROMSTDIN-abcdefgh-WXYZ\n", "keys", "set", "claude", "ANTHROPIC_API_KEY");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("ANTHROPIC_API_KEY=sk-ant-…WXYZ").doesNotContain("FROMSTDIN");
        Run list = corral("keys", "list");
        assertThat(list.out()).contains("claude ANTHROPIC_API_KEY=sk-ant-…WXYZ");
        assertThat(corral("keys", "rm", "claude").out()).contains("claude credentials deleted");
    }

    @Test
    void errorsAndExitCodes() throws Exception {
        Run missing = corral("stop", "ws-nope");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("workspace not found: ws-nope");

        Run usage = corral("spawn", "--no-such-flag");
        assertThat(usage.code()).isEqualTo(2);

        Run noDaemon = corral(Map.of("CORRAL_URL", "http://127.0.0.1:1"), "list");
        assertThat(noDaemon.code()).isEqualTo(1);
        assertThat(noDaemon.err()).contains("no Corral daemon answers at http://127.0.0.1:1").contains("corral serve");

        Run help = corral("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("serve").contains("spawn").contains("doctor");
    }
}
