package dev.corral.acp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Typed builder of the JSON script {@link FakeAgent} follows; see there for the meaning of each step. */
final class FakeAgentScript {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the agent does during a prompt turn, in order. Faults are steps like any other. */
    sealed interface Step {}

    /** {@code count} session/update notifications; kinds cycle through {@code kinds} (text is the index). */
    record Updates(int count, List<String> kinds) implements Step {}

    /** One line written exactly as given: garbage, or an exact message. */
    record Line(String text) implements Step {}

    /** Raw bytes then a newline, e.g. invalid UTF-8. */
    record Bytes(byte[] bytes) implements Step {}

    /** A notification line of exactly this many bytes. */
    record Oversized(int bytes) implements Step {}

    record Notify(String method, JsonNode params) implements Step {}

    /** A request to the client; the agent waits for the answer. */
    record Request(String method, JsonNode params) implements Step {}

    /** Wait for {@code session/cancel}, then end the turn with stopReason {@code cancelled}. */
    record AwaitCancel() implements Step {}

    /** Never finish the turn; keep reading stdin. */
    record Stall() implements Step {}

    /** Exit with status 3 at once, mid-turn. */
    record Crash() implements Step {}

    private final List<Step> turn = new ArrayList<>();
    private boolean hangInitialize;
    private long firstId = 1;
    private String stopReason = "end_turn";
    private JsonNode newSession;

    FakeAgentScript step(Step step) {
        turn.add(step);
        return this;
    }

    FakeAgentScript withHangInInitialize() {
        hangInitialize = true;
        return this;
    }

    FakeAgentScript withFirstId(long id) {
        firstId = id;
        return this;
    }

    /** Extra fields of the {@code session/new} result, e.g. {@code models}, {@code modes}, {@code configOptions}. */
    FakeAgentScript withNewSession(String json) {
        try {
            newSession = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
        return this;
    }

    FakeAgentScript withStopReason(String reason) {
        stopReason = reason;
        return this;
    }

    String toJson() {
        ObjectNode root = JSON.createObjectNode()
                .put("hangInitialize", hangInitialize).put("firstId", firstId).put("stopReason", stopReason);
        if (newSession != null) root.set("newSession", newSession);
        ArrayNode steps = root.putArray("turn");
        for (Step step : turn) {
            ObjectNode s = steps.addObject();
            switch (step) {
                case Updates u -> {
                    s.put("op", "updates").put("count", u.count());
                    u.kinds().forEach(s.putArray("kinds")::add);
                }
                case Line l -> s.put("op", "line").put("text", l.text());
                case Bytes b -> s.put("op", "bytes").put("base64", Base64.getEncoder().encodeToString(b.bytes()));
                case Oversized o -> s.put("op", "oversized").put("bytes", o.bytes());
                case Notify n -> s.put("op", "notify").put("method", n.method()).set("params", n.params());
                case Request r -> s.put("op", "request").put("method", r.method()).set("params", r.params());
                case AwaitCancel a -> s.put("op", "awaitCancel");
                case Stall st -> s.put("op", "stall");
                case Crash c -> s.put("op", "crash");
            }
        }
        return root.toString();
    }
}
