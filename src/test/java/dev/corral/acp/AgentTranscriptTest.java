package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two pieces used together the way a session host would: every notification's params go verbatim into the
 * event log from the dispatcher thread (pipelined, in order), a viewer subscribed before the turn sees the whole
 * turn in order, and the turn end is written only after the updates that preceded it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentTranscriptTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void floodFromARealAgentProcessLandsInTheLogInOrderAndVerbatim() throws Exception {
        String vendor = "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\"fake-session-1\","
                + "\"update\":{\"sessionUpdate\":\"_vendor/x\",\"n\":1.50,\"_meta\":{}}}}";
        ObjectNode ask = JSON.createObjectNode().put("sessionId", "fake-session-1");
        ask.putArray("options");
        var script = new FakeAgentScript()
                .step(new FakeAgentScript.Updates(5000, List.of()))
                .step(new FakeAgentScript.Line(vendor))
                .step(new FakeAgentScript.Request("session/request_permission", ask));

        try (var log = new EventLog(TestDatabase.create(dir.resolve("corral.db")));
                var agent = FakeAgentProcess.start(dir, script.toJson())) {
            List<Event> seen = Collections.synchronizedList(new ArrayList<>());
            log.subscribe("S", 0, seen::add);
            var conn = agent.connect()
                    .withNotificationListener(n -> log.appendAsync("S", EventType.SESSION_UPDATE, n.rawParams().orElse("{}")))
                    .withRequestHandler("session/request_permission", (req, r) -> {
                        log.appendAsync("S", EventType.PERMISSION_REQUEST,
                                RawJson.withLeadingMember(req.rawParams().orElse("{}"), "requestId", req.id()));
                        r.respond(JSON.createObjectNode().set("outcome",
                                JSON.createObjectNode().put("outcome", "cancelled")));
                    })
                    .start();
            conn.call("initialize", JSON.createObjectNode().put("protocolVersion", 1)).await();
            conn.call("session/new", JSON.createObjectNode().put("cwd", "/workspace")).await();
            var result = conn.call("session/prompt", JSON.createObjectNode().put("sessionId", "fake-session-1"),
                    Duration.ofSeconds(30)).awaitResult();
            log.append("S", EventType.TURN_END, JSON.createObjectNode().set("stopReason", result.get("stopReason")).toString());

            await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 5003);
            List<Event> events = log.read("S", 0, 10_000);
            assertThat(seen).isEqualTo(events);
            assertThat(events).extracting(Event::seq).isEqualTo(java.util.stream.LongStream.rangeClosed(1, 5003).boxed().toList());
            for (int i = 0; i < 5000; i++) {
                assertThat(JSON.readTree(events.get(i).data()).at("/update/content/text").asText()).isEqualTo(Integer.toString(i));
            }
            assertThat(events.get(5000).data()).isEqualTo(RawJson.member(vendor, "params").orElseThrow());
            assertThat(events.get(5001).type()).isEqualTo(EventType.PERMISSION_REQUEST);
            assertThat(events.get(5001).data()).isEqualTo("{\"requestId\":1,\"sessionId\":\"fake-session-1\",\"options\":[]}");
            assertThat(events.get(5002).data()).isEqualTo("{\"stopReason\":\"end_turn\"}");
            conn.close();
        }
    }
}
