package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Workspace lifecycle, sources and bad input, against the real daemon with real bwrap sandboxes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class WorkspaceApiTest implements DaemonLogOnFailure.HasDaemon {
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
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void healthIsOpenAndDescribesTheHost() {
        var r = new Api(daemon.url(), null).get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("ok");
        assertThat(r.json().path("uptimeSeconds").isNumber()).isTrue();
        assertThat(r.json().path("system").path("sandbox").asText()).isEqualTo("bwrap");
        assertThat(r.json().path("system").path("cgroups").asText()).isIn("v1", "v2", "none");
        assertThat(r.json().path("system").path("cpus").asInt()).isPositive();
    }

    @Test
    void servesItsOpenApiDocument() {
        var r = api.get("/api/v1/openapi.json");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("openapi").asText()).startsWith("3.");
        assertThat(r.json().path("paths").has("/api/v1/workspaces/{id}/exec")).isTrue();
    }

    @Test
    void tokenIsRequiredAndFileIsPrivate() throws Exception {
        assertThat(new Api(daemon.url(), null).get("/api/v1/workspaces").status()).isEqualTo(401);
        var wrong = new Api(daemon.url(), "nope").get("/api/v1/workspaces");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json().path("code").asText()).isEqualTo("unauthorized");
        assertThat(Files.getPosixFilePermissions(daemon.home().resolve("token")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void emptyWorkspaceRunsStopsResumesAndDeletes() {
        JsonNode w = api.createRunning(json("name", "life"));
        String id = w.path("id").asText();
        assertThat(w.path("sandbox").path("backend").asText()).isEqualTo("bwrap");

        JsonNode r = api.sh(id, "echo hello > /workspace/a.txt && echo state > ~/.agentrc && id -un && pwd");
        assertThat(r.path("exitCode").asInt()).isZero();
        assertThat(r.path("stdout").asText()).isEqualTo("corral\n/workspace\n");

        var stopped = api.post("/api/v1/workspaces/" + id + "/stop", null);
        assertThat(stopped.json().path("state").asText()).isEqualTo("stopped");
        var refused = api.post("/api/v1/workspaces/" + id + "/exec", json("command", "true"));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().path("code").asText()).isEqualTo("workspace_not_running");
        // Files outlive the sandbox, and are readable while it is stopped.
        assertThat(api.get("/api/v1/workspaces/" + id + "/files/a.txt").text()).isEqualTo("hello\n");

        var resumed = api.post("/api/v1/workspaces/" + id + "/resume", null);
        assertThat(resumed.json().path("state").asText()).isEqualTo("running");
        assertThat(api.sh(id, "cat /workspace/a.txt ~/.agentrc").path("stdout").asText()).isEqualTo("hello\nstate\n");

        Path dir = daemon.home().resolve("workspaces").resolve(id);
        assertThat(dir).exists();
        assertThat(api.delete("/api/v1/workspaces/" + id).status()).isEqualTo(204);
        assertThat(dir).doesNotExist();
        assertThat(api.get("/api/v1/workspaces/" + id).status()).isEqualTo(404);
    }

    @Test
    void cloneFromLocalRepositoryChecksOutTheRef() throws Exception {
        Path repo = tmp.resolve("src-repo");
        git(tmp, "init", "-q", "-b", "main", repo.toString());
        Files.writeString(repo.resolve("README.md"), "v1\n");
        git(repo, "add", ".");
        git(repo, "commit", "-q", "-m", "one");
        git(repo, "tag", "v1");
        Files.writeString(repo.resolve("README.md"), "v2\n");
        git(repo, "commit", "-q", "-am", "two");

        JsonNode head = api.createRunning(json("repo", repo.toString()));
        assertThat(head.path("name").asText()).startsWith("src-repo-");
        assertThat(api.sh(head.path("id").asText(), "cat README.md && git log --oneline | wc -l").path("stdout").asText())
                .isEqualTo("v2\n2\n");

        JsonNode tagged = api.createRunning(json("repo", repo.toString(), "ref", "v1"));
        assertThat(api.sh(tagged.path("id").asText(), "cat README.md").path("stdout").asText()).isEqualTo("v1\n");

        var badRef = api.post("/api/v1/workspaces", json("repo", repo.toString(), "ref", "no-such-ref"));
        assertThat(badRef.status()).isEqualTo(201);
        String badId = badRef.json().path("id").asText();
        JsonNode failed = await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/workspaces/" + badId).json(),
                n -> !"creating".equals(n.path("state").asText()));
        assertThat(failed.path("state").asText()).isEqualTo("failed");
        assertThat(failed.path("stateReason").asText()).contains("no-such-ref");
    }

    @Test
    void hostPathIsMountedAsItIsAndKeptOnDelete() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("host-dir"));
        Files.writeString(dir.resolve("mine.txt"), "host file");
        JsonNode w = api.createRunning(json("path", dir.toString(), "name", "mounted"));
        String id = w.path("id").asText();
        assertThat(api.sh(id, "cat mine.txt; echo new > made-inside.txt").path("stdout").asText()).isEqualTo("host file");
        assertThat(dir.resolve("made-inside.txt")).hasContent("new");
        assertThat(api.delete("/api/v1/workspaces/" + id).status()).isEqualTo(204);
        assertThat(dir.resolve("mine.txt")).exists();
    }

    @Test
    void namesAreUnique() {
        assertThat(api.post("/api/v1/workspaces", json("name", "twin")).status()).isEqualTo(201);
        var second = api.post("/api/v1/workspaces", json("name", "twin"));
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.json().path("code").asText()).isEqualTo("name_taken");
    }

    @Test
    void execCarriesArgvCwdEnvStdinAndTimeout() {
        String id = api.createRunning(json("name", "exec")).path("id").asText();
        var r = api.post("/api/v1/workspaces/" + id + "/exec",
                "{\"argv\":[\"sh\",\"-c\",\"pwd; echo $GREETING; cat; echo err >&2; exit 3\"],\"cwd\":\"/tmp\","
                        + "\"env\":{\"GREETING\":\"hi there\"},\"stdin\":\"from stdin\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("exitCode").asInt()).isEqualTo(3);
        assertThat(r.json().path("stdout").asText()).isEqualTo("/tmp\nhi there\nfrom stdin");
        assertThat(r.json().path("stderr").asText()).isEqualTo("err\n");

        var slow = api.post("/api/v1/workspaces/" + id + "/exec", "{\"command\":\"sleep 30\",\"timeoutMs\":300}");
        assertThat(slow.json().path("timedOut").asBoolean()).isTrue();
        assertThat(slow.json().path("durationMs").asLong()).isLessThan(10_000);
        // The killed command left nothing behind in the sandbox.
        assertThat(api.sh(id, "ps -eo comm | grep -c sleep || true").path("stdout").asText().trim()).isEqualTo("0");
    }

    @Test
    void badInputGetsClearJsonErrorsNever500() {
        record Case(String method, String path, String body, int status, String code) {}
        String id = api.createRunning(json("name", "bad-input")).path("id").asText();
        String big = "{\"name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        List<Case> cases = List.of(
                new Case("POST", "/api/v1/workspaces", "{not json", 400, "bad_json"),
                new Case("POST", "/api/v1/workspaces", "", 400, "missing_body"),
                new Case("POST", "/api/v1/workspaces", "[1,2]", 400, "bad_json"),
                new Case("POST", "/api/v1/workspaces", "{\"nmae\":\"typo\"}", 400, "unknown_field"),
                new Case("POST", "/api/v1/workspaces", "{\"name\":\"../etc\"}", 400, "invalid_name"),
                new Case("POST", "/api/v1/workspaces", "{\"repo\":\"/x\",\"path\":\"/y\"}", 400, "invalid_source"),
                new Case("POST", "/api/v1/workspaces", "{\"path\":\"/no/such/dir\"}", 400, "invalid_path"),
                new Case("POST", "/api/v1/workspaces", "{\"repo\":\"--upload-pack=touch /tmp/x\"}", 400, "invalid_repo"),
                new Case("POST", "/api/v1/workspaces", "{\"limits\":{\"memoryMb\":1}}", 400, "invalid_value"),
                new Case("POST", "/api/v1/workspaces", "{\"limits\":{\"memoryMb\":\"lots\"}}", 400, "bad_json"),
                new Case("POST", "/api/v1/workspaces", "{\"network\":{\"mode\":\"open\"}}", 400, "invalid_network"),
                new Case("POST", "/api/v1/workspaces", "{\"network\":{\"forward\":[\"nohost\"]}}", 400, "invalid_network"),
                new Case("POST", "/api/v1/workspaces", big, 413, "too_large"),
                new Case("POST", "/api/v1/workspaces/" + id + "/exec", "{}", 400, "invalid_command"),
                new Case("POST", "/api/v1/workspaces/" + id + "/exec", "{\"argv\":[\"a\"],\"command\":\"b\"}", 400, "invalid_command"),
                new Case("POST", "/api/v1/workspaces/" + id + "/exec", "{\"command\":\"true\",\"timeoutMs\":-1}", 400, "invalid_timeout"),
                new Case("POST", "/api/v1/workspaces/" + id + "/exec", "{\"command\":\"true\",\"env\":{\"A=B\":\"c\"}}", 400, "invalid_env"),
                new Case("GET", "/api/v1/workspaces/ws-nope", null, 404, "not_found"),
                new Case("GET", "/api/v1/nothing-here", null, 404, "not_found"),
                new Case("GET", "/api/v1/workspaces/" + id + "/processes/abc", null, 400, "invalid_pid"));
        for (Case c : cases) {
            var r = api.send(c.method(), c.path(), c.body() == null ? null : c.body().getBytes(StandardCharsets.UTF_8),
                    "application/json");
            assertThat(r.status()).as(c.toString().substring(0, Math.min(200, c.toString().length())) + " -> " + r).isEqualTo(c.status());
            assertThat(r.json()).as("JSON error body for " + c.path()).isNotNull();
            assertThat(r.json().path("code").asText()).as(c.path() + " " + r).isEqualTo(c.code());
            assertThat(r.json().path("error").asText()).isNotBlank();
        }
        assertThat(daemon.logText()).doesNotContain("internal error");
    }

    @Test
    void listShowsEveryWorkspace() {
        api.createRunning(json("name", "listed"));
        var r = api.get("/api/v1/workspaces");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().findValuesAsText("name")).contains("listed");
        // Look-up by name works too.
        assertThat(api.get("/api/v1/workspaces/listed").json().path("state").asText()).isEqualTo("running");
    }

    static void git(Path dir, String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of("git", "-c", "user.email=t@example.com", "-c", "user.name=t"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new AssertionError("git " + String.join(" ", args) + ": " + out);
    }
}
