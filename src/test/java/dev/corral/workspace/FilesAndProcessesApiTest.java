package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** The files and processes APIs, with paths confined to /workspace. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class FilesAndProcessesApiTest implements DaemonLogOnFailure.HasDaemon {
    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    String id;
    String files;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() {
        daemon = TestDaemon.start(tmp.resolve("home"), Map.of("CORRAL_MAX_FILE_BYTES", String.valueOf(1024 * 1024)));
        api = daemon.api();
        id = api.createRunning(json("name", "files")).path("id").asText();
        files = "/api/v1/workspaces/" + id + "/files/";
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void writeReadListStatMoveDelete() {
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        assertThat(api.put(files + "dir/sub/blob.bin", data).status()).isEqualTo(200);
        assertThat(api.get(files + "dir/sub/blob.bin").body()).isEqualTo(data);
        assertThat(api.sh(id, "sha256sum dir/sub/blob.bin | cut -c1-64").path("stdout").asText().trim())
                .isEqualTo(sha256(data));

        JsonNode listing = api.get(files + "dir").json();
        assertThat(listing.path("entries").get(0).path("name").asText()).isEqualTo("sub");
        assertThat(listing.path("entries").get(0).path("type").asText()).isEqualTo("dir");
        JsonNode deep = api.get(files + "dir?recursive=true").json();
        assertThat(deep.path("entries").findValuesAsText("name")).containsExactly("sub", "sub/blob.bin");
        JsonNode root = api.get("/api/v1/workspaces/" + id + "/files").json();
        assertThat(root.path("entries").findValuesAsText("name")).contains("dir");

        JsonNode stat = api.get("/api/v1/workspaces/" + id + "/stat/dir/sub/blob.bin").json();
        assertThat(stat.path("type").asText()).isEqualTo("file");
        assertThat(stat.path("size").asLong()).isEqualTo(300_000);
        assertThat(stat.path("mtime").asText()).isNotBlank();

        var moved = api.post("/api/v1/workspaces/" + id + "/move", json("from", "dir/sub/blob.bin", "to", "other/b.bin"));
        assertThat(moved.status()).isEqualTo(200);
        assertThat(api.get(files + "dir/sub/blob.bin").status()).isEqualTo(404);
        assertThat(api.get(files + "other/b.bin").body()).isEqualTo(data);
        api.put(files + "other/c.txt", "c".getBytes());
        var clash = api.post("/api/v1/workspaces/" + id + "/move", json("from", "other/b.bin", "to", "other/c.txt"));
        assertThat(clash.status()).isEqualTo(409);

        var nonEmpty = api.delete(files + "other");
        assertThat(nonEmpty.status()).isEqualTo(409);
        assertThat(nonEmpty.json().path("code").asText()).isEqualTo("directory_not_empty");
        assertThat(api.delete(files + "other?recursive=true").status()).isEqualTo(204);
        assertThat(api.sh(id, "ls other 2>&1 || true").path("stdout").asText()).contains("No such file");
        assertThat(api.get(files + "missing.txt").json().path("code").asText()).isEqualTo("not_found");
    }

    @Test
    void pathsThatLeaveTheWorkspaceAreRefused() throws Exception {
        api.sh(id, "mkdir -p inside && echo in > inside/x.txt && ln -sf /etc/passwd leak && ln -sfn ../../../.. up "
                + "&& ln -sfn /workspace/inside abs-inside && ln -sfn inside rel-inside && ln -sfn /home/corral homelink");
        String passwd = Files.readString(Path.of("/etc/passwd"));
        for (String bad : new String[] {"leak", "up/etc/passwd", "homelink/x", "%2e%2e/%2e%2e/etc/passwd",
                "inside/%2e%2e/%2e%2e/etc/passwd", "%2Fetc%2Fpasswd"}) {
            var r = api.get(files + bad);
            assertThat(r.status()).as(bad + " -> " + r).isEqualTo(400);
            assertThat(r.json()).as(bad).isNotNull();
            assertThat(r.text()).doesNotContain("root:x:0:0");
        }
        var write = api.put(files + "leak", "owned".getBytes());
        assertThat(write.status()).isEqualTo(400);
        assertThat(write.json().path("code").asText()).isEqualTo("path_outside_workspace");
        assertThat(Files.readString(Path.of("/etc/passwd"))).isEqualTo(passwd);
        assertThat(api.get("/api/v1/workspaces/" + id + "/stat/up/etc").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/" + id + "/move", json("from", "inside/x.txt", "to", "up/tmp/x")).status())
                .isEqualTo(400);
        // Links that stay inside work, as they do in the sandbox.
        assertThat(api.get(files + "abs-inside/x.txt").text()).isEqualTo("in\n");
        assertThat(api.get(files + "rel-inside/x.txt").text()).isEqualTo("in\n");
        // Deleting a link deletes the link, never its target.
        assertThat(api.delete(files + "leak").status()).isEqualTo(204);
        assertThat(Path.of("/etc/passwd")).exists();
    }

    @Test
    void oversizedFileIsRefusedAndLosesNothing() {
        api.put(files + "keep.txt", "original".getBytes());
        var r = api.put(files + "keep.txt", new byte[2 * 1024 * 1024]);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().path("code").asText()).isEqualTo("file_too_large");
        assertThat(api.get(files + "keep.txt").text()).isEqualTo("original");
        assertThat(api.sh(id, "ls -a | grep -c corral-upload || true").path("stdout").asText().trim()).isEqualTo("0");
    }

    @Test
    void processesTakeStdinSignalsAndKeepOutputByOffset() {
        String procs = "/api/v1/workspaces/" + id + "/processes";
        var cat = api.post(procs, json("argv", java.util.List.of("cat")));
        assertThat(cat.status()).isEqualTo(201);
        int pid = cat.json().path("pid").asInt();
        assertThat(api.send("POST", procs + "/" + pid + "/stdin", "hello ".getBytes(), "application/octet-stream").status()).isEqualTo(204);
        assertThat(api.send("POST", procs + "/" + pid + "/stdin?close=true", "world".getBytes(), "application/octet-stream").status()).isEqualTo(204);
        assertThat(api.get(procs + "/" + pid + "/wait").json().path("exitCode").asInt()).isZero();
        assertThat(api.get(procs + "/" + pid + "/output?after=0").text()).isEqualTo("hello world");
        var tail = api.get(procs + "/" + pid + "/output?after=6");
        assertThat(tail.text()).isEqualTo("world");
        assertThat(tail.raw().headers().firstValue("X-Output-From")).hasValue("6");

        int sleeper = api.post(procs, json("command", "trap 'echo got-int; exit 5' INT; echo ready; while :; do sleep 0.1; done"))
                .json().path("pid").asInt();
        org.awaitility.Awaitility.await().until(() -> api.get(procs + "/" + sleeper + "/output").text().contains("ready"));
        assertThat(api.post(procs + "/" + sleeper + "/signal", json("signal", "INT")).json().path("delivered").asBoolean()).isTrue();
        assertThat(api.get(procs + "/" + sleeper + "/wait").json().path("exitCode").asInt()).isEqualTo(5);
        assertThat(api.get(procs + "/" + sleeper + "/output").text()).contains("got-int");

        int victim = api.post(procs, json("argv", java.util.List.of("sleep", "100"))).json().path("pid").asInt();
        api.post(procs + "/" + victim + "/signal", json("signal", "TERM"));
        assertThat(api.get(procs + "/" + victim + "/wait").json().path("exitCode").asInt()).isEqualTo(143);
        assertThat(api.get(procs).json().findValuesAsText("pid")).contains(String.valueOf(pid), String.valueOf(victim));
        assertThat(api.get(procs + "/" + victim).json().path("running").asBoolean()).isFalse();
        assertThat(api.post(procs + "/" + victim + "/signal", json("signal", "BOGUS")).status()).isIn(200, 400);
        assertThat(api.get(procs + "/999").status()).isEqualTo(404);
    }

    static String sha256(byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
