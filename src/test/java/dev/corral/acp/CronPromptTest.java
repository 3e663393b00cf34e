package dev.corral.acp;

import static dev.corral.testing.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.DaemonLogOnFailure;
import dev.corral.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A cron prompt goes to the workspace's newest session (the sandboxed {@link FakeAgent}); its stop reason is recorded. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@ExtendWith(DaemonLogOnFailure.class)
class CronPromptTest implements DaemonLogOnFailure.HasDaemon {
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
    void promptJobRecordsTheStopReason() {
        SandboxedFakeAgent.install(tmp.resolve("home"));
        daemon = TestDaemon.start(tmp.resolve("home"));
        Api api = daemon.api();
        String ws = api.createRunning(json("name", "agentcron")).path("id").asText();
        var job = api.post("/api/v1/workspaces/" + ws + "/cron", json("schedule", "* * * * * *", "prompt", "tick"));
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        String cid = job.json().path("id").asText();
        // No session yet: the run is recorded with the reason.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() ->
                api.get("/api/v1/workspaces/" + ws + "/cron/" + cid + "/runs").json().findValuesAsText("reason").stream()
                        .anyMatch(r -> r.contains("no agent session")));

        var script = new FakeAgentScript().step(new FakeAgentScript.Updates(1, List.of("agent_message_chunk")));
        assertThat(api.put("/api/v1/workspaces/" + ws + "/files/.fake/script.json",
                script.toJson().getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        var s = api.post("/api/v1/workspaces/" + ws + "/sessions", "{\"agent\":\"fake\",\"args\":[\"/workspace/.fake/script.json\","
                + "\"/home/corral/received.jsonl\"]}");
        assertThat(s.status()).as(s.toString()).isEqualTo(201);
        String sid = s.json().path("id").asText();

        JsonNode run = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (JsonNode r : api.get("/api/v1/workspaces/" + ws + "/cron/" + cid + "/runs").json()) {
                if ("end_turn".equals(r.path("stopReason").asText())) return r;
            }
            return null;
        }, r -> r != null);
        assertThat(run.path("endedAt").asText()).isNotEmpty();
        assertThat(api.delete("/api/v1/workspaces/" + ws + "/cron/" + cid).status()).isEqualTo(204);
        var events = api.get("/api/v1/sessions/" + sid + "/events?after=0").json();
        assertThat(events.findValuesAsText("type")).contains("user_prompt", "turn_end");
    }
}
