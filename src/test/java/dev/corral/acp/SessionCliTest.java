package dev.corral.acp;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code corral prompt} and {@code corral logs} as separate processes against the real daemon and a sandboxed fake agent. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class SessionCliTest implements DaemonLogOnFailure.HasDaemon {
    static final ObjectMapper JSON = new ObjectMapper();

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

    record Run(int code, String out, String err) {}

    Run corral(String stdin, String... args) throws Exception {
        List<String> cmd = TestDaemon.javaCommand();
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("CORRAL_HOME", daemon.home().toString());
        pb.environment().put("CORRAL_URL", daemon.url());
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(p.getErrorStream().readAllBytes());
            } catch (java.io.IOException e) {
                err.complete(new byte[0]);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
    }

    @Test
    void promptStreamsTheReplyAndAsksForPermissionThenLogsShowTheTranscript() throws Exception {
        SandboxedFakeAgent.install(tmp.resolve("home"));
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "cli")).path("id").asText();
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Updates(3, List.of()))
                .step(new FakeAgentScript.Request("session/request_permission", JSON.readTree("""
                        {"sessionId":"fake-session-1","toolCall":{"toolCallId":"t1","kind":"execute","title":"make things"},
                         "options":[{"optionId":"yes","kind":"allow_once","name":"Yes"},{"optionId":"no","kind":"reject_once","name":"No"}]}""")))
                .step(new FakeAgentScript.Updates(2, List.of()));
        api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json", script.toJson().getBytes(StandardCharsets.UTF_8));
        Api.Response created = api.post("/api/v1/workspaces/" + ws + "/sessions", "{\"agent\":\"fake\",\"args\":[\""
                + SessionApiTest.SCRIPT + "\",\"" + SessionApiTest.RECORD + "\"]}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String sid = created.json().path("id").asText();

        Run prompt = corral("2\n", "prompt", "cli", "make", "things");
        assertThat(prompt.code()).as(prompt.toString()).isZero();
        assertThat(prompt.out()).contains("012").contains("01");
        assertThat(prompt.err()).contains("> make things").contains("? permission asked: make things")
                .contains("permission answered: no (user)").contains("[turn ended: end_turn]");

        Run logs = corral("", "logs", "cli");
        assertThat(logs.code()).as(logs.toString()).isZero();
        assertThat(logs.out()).contains("[agent ready]").contains("> make things").contains("012")
                .contains("permission answered: no").contains("[turn ended: end_turn]");

        Run raw = corral("", "logs", sid, "--json", "--after", "2");
        String[] lines = raw.out().strip().split("\n");
        assertThat(JSON.readTree(lines[0]).path("seq").asLong()).isEqualTo(3);
        assertThat(JSON.readTree(lines[0]).path("type").asText()).isEqualTo("user_prompt");
        assertThat(JSON.readTree(lines[lines.length - 1]).path("type").asText()).isEqualTo("turn_end");

        Run none = corral("", "logs", "nope");
        assertThat(none.code()).isEqualTo(1);
    }

    @Test
    void spawnWithPromptStartsTheAgentAndStreamsTheReply() throws Exception {
        SandboxedFakeAgent.install(tmp.resolve("home"));
        daemon = TestDaemon.start(tmp.resolve("home"));
        java.nio.file.Path dir = java.nio.file.Files.createDirectories(tmp.resolve("project/.fake"));
        java.nio.file.Files.writeString(dir.resolve("script.json"),
                new FakeAgentScript().step(new FakeAgentScript.Updates(4, List.of())).toJson());
        Run spawn = corral("", "spawn", "--path", tmp.resolve("project").toString(), "--name", "sp", "--agent", "fake",
                "--prompt", "hello there");
        assertThat(spawn.code()).as(spawn.toString()).isZero();
        assertThat(spawn.out()).startsWith("ws-").contains("0123");
        assertThat(spawn.err()).contains("starting agent fake").contains("> hello there").contains("[turn ended: end_turn]");
    }
}
