package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots: byte-identical restore into a new workspace and in place, download, size limit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class SnapshotTest implements DaemonLogOnFailure.HasDaemon {
    static final String FINGERPRINT = "cd /workspace && find . -type f -print0 | sort -z | xargs -0 sha256sum; "
            + "find . -type l -printf '%p -> %l\\n' | sort; cat ~/.config/agent.toml";

    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("CORRAL_SNAPSHOT_MAX_BYTES", String.valueOf(3 * 1024 * 1024)));
        api = daemon.api();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    private String populated(String name) {
        String id = api.createRunning(json("name", name)).path("id").asText();
        byte[] blob = new byte[200_000];
        new Random(42).nextBytes(blob);
        api.put("/api/v1/workspaces/" + id + "/files/data/blob.bin", blob);
        api.sh(id, "mkdir -p src/deep/er ~/.config && echo 'fn main() {}' > src/deep/er/main.rs && ln -s src/deep link "
                + "&& echo 'model = \"x\"' > ~/.config/agent.toml && chmod 750 src/deep");
        return id;
    }

    @Test
    void newWorkspaceFromSnapshotIsByteIdentical() throws Exception {
        String id = populated("original");
        String before = api.sh(id, FINGERPRINT).path("stdout").asText();
        var snap = api.post("/api/v1/workspaces/" + id + "/snapshots", null);
        assertThat(snap.status()).as(snap.toString()).isEqualTo(201);
        String sid = snap.json().path("snapshotId").asText();
        assertThat(snap.json().path("sizeBytes").asLong()).isPositive();
        assertThat(api.get("/api/v1/workspaces/" + id + "/snapshots").json().findValuesAsText("snapshotId")).contains(sid);

        JsonNode copy = api.createRunning(json("name", "from-snapshot", "fromSnapshot", sid));
        assertThat(copy.path("source").asText()).isEqualTo("snapshot");
        assertThat(copy.path("fromSnapshot").asText()).isEqualTo(sid);
        assertThat(api.sh(copy.path("id").asText(), FINGERPRINT).path("stdout").asText()).isEqualTo(before).contains("blob.bin");

        var download = api.get("/api/v1/snapshots/" + sid + "/download");
        assertThat(download.status()).isEqualTo(200);
        assertThat((long) download.body().length).isEqualTo(snap.json().path("sizeBytes").asLong());
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body())))
                .isEqualTo(snap.json().path("sha256").asText());
        Path archive = Files.write(tmp.resolve("export.tar.gz"), download.body());
        Process list = new ProcessBuilder("tar", "-tzf", archive.toString()).start();
        String names = new String(list.getInputStream().readAllBytes());
        assertThat(names).contains("repo/data/blob.bin").contains("home/.config/agent.toml");
    }

    @Test
    void restoreInPlaceBringsTheFilesBackAndKeepsTheWorkspace() {
        String id = populated("rollback");
        String before = api.sh(id, FINGERPRINT).path("stdout").asText();
        String sid = api.post("/api/v1/workspaces/" + id + "/snapshots", null).json().path("snapshotId").asText();
        var sessionsBefore = api.get("/api/v1/workspaces/" + id + "/sessions").text();
        api.sh(id, "rm -rf data && echo broken > src/deep/er/main.rs && echo new > extra.txt && rm ~/.config/agent.toml; echo '' > ~/.config/agent.toml");
        assertThat(api.sh(id, FINGERPRINT).path("stdout").asText()).isNotEqualTo(before);

        var restored = api.post("/api/v1/workspaces/" + id + "/restore", json("snapshotId", sid));
        assertThat(restored.status()).as(restored.toString()).isEqualTo(200);
        assertThat(restored.json().path("id").asText()).isEqualTo(id);
        assertThat(restored.json().path("state").asText()).isEqualTo("running");
        assertThat(api.sh(id, FINGERPRINT).path("stdout").asText()).isEqualTo(before);
        assertThat(api.get("/api/v1/workspaces/" + id + "/sessions").text()).isEqualTo(sessionsBefore);
    }

    @Test
    void mountedDirectorySnapshotsUnderRepo() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("host.dir[1]"));
        Files.writeString(dir.resolve("keep.txt"), "host\n");
        String id = api.createRunning(json("name", "mounted-snap", "path", dir.toString())).path("id").asText();
        String sid = api.post("/api/v1/workspaces/" + id + "/snapshots", null).json().path("snapshotId").asText();
        String copy = api.createRunning(json("name", "mounted-copy", "fromSnapshot", sid)).path("id").asText();
        assertThat(api.sh(copy, "cat keep.txt").path("stdout").asText()).isEqualTo("host\n");
        assertThat(api.post("/api/v1/workspaces/" + id + "/restore", json("snapshotId", sid)).json().path("code").asText())
                .isEqualTo("restore_refused");
    }

    @Test
    void limitsAndBadInput() {
        String id = api.createRunning(json("name", "too-big")).path("id").asText();
        byte[] noise = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(noise);
        api.put("/api/v1/workspaces/" + id + "/files/noise.bin", noise);
        var r = api.post("/api/v1/workspaces/" + id + "/snapshots", null);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().path("code").asText()).isEqualTo("snapshot_too_large");
        assertThat(daemon.home().resolve("snapshots").toFile().list()).noneMatch(f -> f.endsWith(".tmp"));
        assertThat(api.post("/api/v1/workspaces", json("fromSnapshot", "snap-000000000000")).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/snapshots/../../etc/passwd/download").status()).isIn(400, 404);
        assertThat(api.post("/api/v1/workspaces/" + id + "/restore", "{}").json().path("code").asText()).isEqualTo("invalid_snapshot");
    }
}
