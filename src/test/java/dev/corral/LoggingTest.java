package dev.corral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.testing.Api;
import dev.corral.testing.TestDaemon;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** LOG_FORMAT=json makes the daemon log JSON lines; the token never appears in the log. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class LoggingTest {
    @TempDir
    Path tmp;

    @Test
    void jsonLogsWithoutSecrets() throws Exception {
        try (var daemon = TestDaemon.start(tmp.resolve("home"), Map.of("LOG_FORMAT", "json", "LOG_LEVEL", "DEBUG"))) {
            daemon.api().get("/api/v1/workspaces");
            var json = daemon.logText().lines().filter(l -> l.startsWith("{")).toList();
            assertThat(json).isNotEmpty();
            JsonNode first = Api.JSON.readTree(json.get(0));
            assertThat(first.has("@timestamp")).isTrue();
            assertThat(first.path("level").asText()).isNotBlank();
            assertThat(json).anySatisfy(l -> assertThat(l).contains("listening on"));
            // The token is printed once on stdout for the user (the UI URL), never in a log line.
            assertThat(json).noneSatisfy(l -> assertThat(l).contains(daemon.token()));
        }
    }
}
