package dev.corral.secrets;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The credential vault through the real daemon: encrypted at rest, masked on the way out, closed on a wrong key. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class CredentialsTest implements DaemonLogOnFailure.HasDaemon {
    static final String SECRET = "sk-ant-api03-TOPSECRETvalue0123456789-7x9Q";

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
    void storedEncryptedShownMaskedNeverLogged() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        var api = daemon.api();
        var put = api.send("PUT", "/api/v1/credentials/claude", json("env", Map.of("ANTHROPIC_API_KEY", SECRET)).getBytes(),
                "application/json");
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.text()).doesNotContain("TOPSECRET");
        var list = api.get("/api/v1/credentials");
        assertThat(list.json().get(0).path("env").path("ANTHROPIC_API_KEY").asText()).isEqualTo("sk-ant-…7x9Q");
        assertThat(list.text()).doesNotContain("TOPSECRET");

        for (String f : List.of("corral.db", "corral.db-wal")) {
            Path p = daemon.home().resolve(f);
            if (Files.exists(p)) {
                assertThat(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).as(f).doesNotContain("TOPSECRET");
            }
        }
        assertThat(daemon.logText()).doesNotContain("TOPSECRET");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.home().resolve("master.key"))))
                .isEqualTo("rw-------");

        // Bad input is a clear 400 and stores nothing.
        assertThat(api.send("PUT", "/api/v1/credentials/claude", "{\"env\":{}}".getBytes(), "application/json").status()).isEqualTo(400);
        assertThat(api.send("PUT", "/api/v1/credentials/claude", "{\"env\":{\"A B\":\"x\"}}".getBytes(), "application/json")
                .json().path("code").asText()).isEqualTo("invalid_env");

        // Delete names the running workspaces of that agent.
        String ws = api.createRunning(json("name", "uses-claude", "agent", "claude")).path("id").asText();
        var del = api.delete("/api/v1/credentials/claude");
        assertThat(del.json().path("deleted").asBoolean()).isTrue();
        assertThat(del.json().path("runningWorkspaces").findValuesAsText("id")).containsExactly(ws);
        assertThat(api.get("/api/v1/credentials").json()).isEmpty();
    }

    @Test
    void wrongMasterKeyFailsClosedAndRotationKeepsRecordsReadable() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        daemon.api().send("PUT", "/api/v1/credentials/codex", json("env", Map.of("OPENAI_API_KEY", SECRET)).getBytes(), "application/json");
        daemon.terminate();

        byte[] other = new byte[32];
        other[0] = 42;
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("CORRAL_MASTER_KEY", Base64.getEncoder().encodeToString(other)));
        var locked = daemon.api().get("/api/v1/credentials");
        assertThat(locked.status()).isEqualTo(503);
        assertThat(locked.json().path("code").asText()).isEqualTo("credentials_locked");
        assertThat(locked.text()).doesNotContain("TOPSECRET");
        daemon.terminate();

        daemon = TestDaemon.start(tmp.resolve("home"));
        String before = Files.readString(daemon.home().resolve("master.key"));
        var rotated = daemon.api().post("/api/v1/credentials/rotate", "{}");
        assertThat(rotated.json().path("reencrypted").asInt()).isEqualTo(1);
        assertThat(Files.readString(daemon.home().resolve("master.key"))).isNotEqualTo(before);
        assertThat(daemon.api().get("/api/v1/credentials").json().get(0).path("env").path("OPENAI_API_KEY").asText())
                .isEqualTo("sk-ant-…7x9Q");
        daemon.terminate();
        daemon = TestDaemon.start(tmp.resolve("home"));
        assertThat(daemon.api().get("/api/v1/credentials").status()).isEqualTo(200);
    }

    @Test
    void maskKeepsOnlyAPrefixAndTheLastFour() {
        assertThat(CredentialVault.mask(SECRET)).isEqualTo("sk-ant-…7x9Q");
        assertThat(CredentialVault.mask("abcdefghij")).isEqualTo("…ij");
        assertThat(CredentialVault.mask("short")).isEqualTo("…");
    }
}
