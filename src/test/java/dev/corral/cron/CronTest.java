package dev.corral.cron;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Cron jobs through the real daemon: per-second schedules, overlap policies, stopped workspaces, restarts. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class CronTest implements DaemonLogOnFailure.HasDaemon {
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

    static List<JsonNode> runs(Api api, String ws, String job) {
        var r = api.get("/api/v1/workspaces/" + ws + "/cron/" + job + "/runs");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        var out = new ArrayList<JsonNode>();
        r.json().forEach(out::add);
        return out;
    }

    static List<JsonNode> finished(List<JsonNode> runs) {
        return runs.stream().filter(n -> !n.path("skipped").asBoolean() && n.hasNonNull("endedAt")).toList();
    }

    static String create(Api api, String ws, String body) {
        var r = api.post("/api/v1/workspaces/" + ws + "/cron", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    @Test
    void commandRunsEverySecondAndHistoryIsRecorded() {
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "tick")).path("id").asText();
        var created = api.post("/api/v1/workspaces/" + ws + "/cron",
                json("schedule", "* * * * * *", "command", "echo tick >> /workspace/ticks; echo out; exit 3"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String job = created.json().path("id").asText();
        assertThat(created.json().path("overlap").asText()).isEqualTo("skip");
        assertThat(created.json().path("whenStopped").asText()).isEqualTo("skip");
        assertThat(created.json().path("nextRunAt").asText()).isNotEmpty();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> finished(runs(api, ws, job)).size() >= 3);
        JsonNode run = finished(runs(api, ws, job)).get(0);
        assertThat(run.path("exitCode").asInt()).isEqualTo(3);
        assertThat(run.path("output").asText()).isEqualTo("out\n");
        assertThat(run.path("startedAt").asText()).isNotEmpty();
        assertThat(api.sh(ws, "wc -l < /workspace/ticks").path("stdout").asText().trim()).isNotEqualTo("0");

        assertThat(api.get("/api/v1/workspaces/" + ws + "/cron").json().findValuesAsText("id")).containsExactly(job);
        assertThat(api.delete("/api/v1/workspaces/" + ws + "/cron/" + job).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/cron/" + job).status()).isEqualTo(404);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/cron").json().size()).isZero();

        assertThat(api.post("/api/v1/workspaces/" + ws + "/cron", json("schedule", "nope", "command", "true")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/cron", json("schedule", "* * * * *")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/cron", json("schedule", "* * * * *", "command", "x", "prompt", "y")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/" + ws + "/cron", json("schedule", "* * * * *", "command", "x", "overlap", "twice")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/workspaces/ws-nope/cron", json("schedule", "* * * * *", "command", "x")).status()).isEqualTo(404);

        // Deleting the workspace takes its jobs and their history with it.
        String left = create(api, ws, json("schedule", "* * * * * *", "command", "true"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !runs(api, ws, left).isEmpty());
        assertThat(api.delete("/api/v1/workspaces/" + ws).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/workspaces/" + ws + "/cron/" + left + "/runs").status()).isEqualTo(404);
    }

    @Test
    void skipAndQueueHoldUnderOverlap() {
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "slow")).path("id").asText();
        String skip = create(api, ws, json("schedule", "* * * * * *", "command", "sleep 2.5", "overlap", "skip"));
        String queue = create(api, ws, json("schedule", "* * * * * *", "command", "sleep 1.5", "overlap", "queue"));

        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(250)).until(() -> {
            var r = runs(api, ws, skip);
            return finished(r).size() >= 2 && r.stream().filter(n -> n.path("skipped").asBoolean()).count() >= 2;
        });
        var skipRuns = runs(api, ws, skip);
        assertThat(skipRuns.stream().filter(n -> n.path("skipped").asBoolean()).findFirst().orElseThrow().path("reason").asText())
                .contains("still going");
        assertNoOverlap(finished(skipRuns));

        var queued = runs(api, ws, queue);
        assertThat(queued).noneMatch(n -> n.path("skipped").asBoolean());
        assertNoOverlap(finished(queued));
        assertThat(finished(queued).size()).isGreaterThanOrEqualTo(2);
    }

    static void assertNoOverlap(List<JsonNode> runs) {
        var sorted = runs.stream().sorted(Comparator.comparing(n -> Instant.parse(n.path("startedAt").asText()))).toList();
        for (int i = 1; i < sorted.size(); i++) {
            Instant prevEnd = Instant.parse(sorted.get(i - 1).path("endedAt").asText());
            Instant start = Instant.parse(sorted.get(i).path("startedAt").asText());
            assertThat(start).as("run %s started before the previous one ended", sorted.get(i)).isAfterOrEqualTo(prevEnd);
        }
    }

    @Test
    void stoppedWorkspaceSkipsOrResumesAndJobsSurviveARestart() throws Exception {
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String a = api.createRunning(json("name", "skipper")).path("id").asText();
        String b = api.createRunning(json("name", "resumer")).path("id").asText();
        assertThat(api.post("/api/v1/workspaces/" + a + "/stop", null).status()).isEqualTo(200);
        String skipJob = create(api, a, json("schedule", "* * * * * *", "command", "true", "whenStopped", "skip"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> runs(api, a, skipJob).stream().anyMatch(n -> n.path("reason").asText().contains("not running")));
        assertThat(runs(api, a, skipJob)).allMatch(n -> n.path("skipped").asBoolean());
        assertThat(api.get("/api/v1/workspaces/" + a).json().path("state").asText()).isEqualTo("stopped");

        String resumeJob = create(api, b, json("schedule", "*/2 * * * * *", "command", "echo $CORRAL_WORKSPACE_ID",
                "whenStopped", "resume"));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !finished(runs(api, b, resumeJob)).isEmpty());

        daemon.terminate();
        Instant restarted = Instant.now();
        daemon.restart();
        Api api2 = daemon.api();
        assertThat(api2.get("/api/v1/workspaces/" + b + "/cron").json().findValuesAsText("id")).containsExactly(resumeJob);
        // After the restart the workspace is stopped; the job resumes it and runs.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> finished(runs(api2, b, resumeJob))
                .stream().anyMatch(n -> Instant.parse(n.path("startedAt").asText()).isAfter(restarted) && n.path("exitCode").asInt() == 0));
        assertThat(api2.get("/api/v1/workspaces/" + b).json().path("state").asText()).isEqualTo("running");
        assertThat(finished(runs(api2, b, resumeJob)).get(0).path("output").asText().trim()).isEqualTo(b);
        assertThat(runs(api2, b, resumeJob)).allMatch(n -> n.hasNonNull("endedAt") || n.path("skipped").asBoolean()
                || Instant.parse(n.path("startedAt").asText()).isAfter(restarted));
    }
}
