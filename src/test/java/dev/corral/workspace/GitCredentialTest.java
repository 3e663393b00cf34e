package dev.corral.workspace;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.GitHttpServer;
import dev.corral.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A per-workspace git token: clone and push over a credential-checking HTTP server, the token never on disk. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class GitCredentialTest implements DaemonLogOnFailure.HasDaemon {
    static final String TOKEN = "ghp_TESTTOKEN0123456789abcdefXYZ";

    @TempDir
    static Path tmp;

    TestDaemon daemon;
    Api api;
    GitHttpServer git;
    Path bare;

    @Override
    public TestDaemon daemon() {
        return daemon;
    }

    @BeforeAll
    void start() throws Exception {
        Path srv = Files.createDirectories(tmp.resolve("srv"));
        bare = srv.resolve("proj.git");
        WorkspaceApiTest.git(srv, "init", "-q", "--bare", "-b", "main", bare.toString());
        Path seed = tmp.resolve("seed");
        WorkspaceApiTestSupport.gitRepo(seed, "README.md", "seed\n");
        WorkspaceApiTest.git(seed, "push", "-q", bare.toString(), "main");
        git = new GitHttpServer(srv, "x-access-token", TOKEN);
        daemon = TestDaemon.start(tmp.resolve("home"));
        api = daemon.api();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
        git.close();
    }

    private String url() {
        return "http://127.0.0.1:" + git.port() + "/proj.git";
    }

    @Test
    void cloneAndPushWithTheTokenWhichNeverLandsOnDisk() throws Exception {
        JsonNode w = api.createRunning(json("name", "pusher", "repo", url(), "git", Map.of("token", TOKEN),
                "network", Map.of("mode", "none", "forward", List.of("127.0.0.1:" + git.port()))));
        String id = w.path("id").asText();
        assertThat(api.sh(id, "cat README.md").path("stdout").asText()).isEqualTo("seed\n");

        JsonNode push = api.sh(id, "git -c user.email=a@b -c user.name=agent commit -q --allow-empty -m from-sandbox "
                + "&& git push -q origin HEAD:main 2>&1");
        assertThat(push.path("exitCode").asInt()).as(push.toString()).isZero();
        Process log = new ProcessBuilder("git", "--git-dir", bare.toString(), "log", "--format=%s", "-1", "main").start();
        assertThat(new String(log.getInputStream().readAllBytes()).trim()).isEqualTo("from-sandbox");

        // Not in the repo's config, the remote URL, the environment, or any file of the workspace or its home.
        assertThat(api.sh(id, "git remote get-url origin").path("stdout").asText().trim()).isEqualTo(url());
        assertThat(api.sh(id, "env; git config --list").path("stdout").asText()).doesNotContain(TOKEN);
        Path dir = daemon.home().resolve("workspaces").resolve(id);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain(TOKEN);
            }
        }
        assertThat(daemon.logText()).doesNotContain(TOKEN).contains("git credential given to workspace " + id);
        assertThat(api.get("/api/v1/workspaces/" + id).text()).doesNotContain(TOKEN);
        assertThat(api.get("/api/v1/credentials").text()).doesNotContain(TOKEN).doesNotContain("git.");
    }

    @Test
    void withoutTheTokenCloneFailsClearly() {
        var r = api.post("/api/v1/workspaces", json("name", "no-token", "repo", url()));
        String id = r.json().path("id").asText();
        JsonNode w = await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/api/v1/workspaces/" + id).json(),
                n -> !"creating".equals(n.path("state").asText()));
        assertThat(w.path("state").asText()).isEqualTo("failed");
        assertThat(w.path("stateReason").asText()).contains("git clone failed");
        assertThat(git.refused()).isPositive();
    }

    @Test
    void badGitCredentialsAreRefused() {
        assertThat(api.post("/api/v1/workspaces", json("path", tmp.toString(), "git", Map.of("token", "t"))).json()
                .path("code").asText()).isEqualTo("invalid_git");
        assertThat(api.post("/api/v1/workspaces", json("repo", url(), "git", Map.of("token", ""))).json()
                .path("code").asText()).isEqualTo("invalid_git");
    }
}
