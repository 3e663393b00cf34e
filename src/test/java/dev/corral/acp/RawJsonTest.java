package dev.corral.acp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RawJsonTest {

    private static final String MSG = "{ \"jsonrpc\":\"2.0\", \"id\": 7, \"s\": \"a\\\"b\\u00e9\","
            + " \"method\" : \"x\", \"params\" : {\"n\": 1.50, \"deep\": {\"p\": [1, {\"params\": 2}]}, \"z\": \"\uD83D\uDC0E\"} ,"
            + " \"result\": 12345678901234567890.000 }";

    @Test
    void memberReturnsTheExactTextOfEachKindOfValue() {
        assertThat(RawJson.member(MSG, "params")).contains(
                "{\"n\": 1.50, \"deep\": {\"p\": [1, {\"params\": 2}]}, \"z\": \"\uD83D\uDC0E\"}");
        assertThat(RawJson.member(MSG, "s")).contains("\"a\\\"b\\u00e9\"");
        assertThat(RawJson.member(MSG, "id")).contains("7");
        assertThat(RawJson.member(MSG, "result")).contains("12345678901234567890.000");
        assertThat(RawJson.member(MSG, "absent")).isEmpty();
        assertThat(RawJson.member("{\"a\":null}", "a")).contains("null");
    }

    @Test
    void rawParamsOfAParsedNotification() {
        var note = new JsonRpcMessage.Notification("x", null, MSG);
        assertThat(note.rawParams()).isEqualTo(RawJson.member(MSG, "params"));
    }

    @Test
    void notificationScanKeepsParamsVerbatimAndLeavesEverythingElseToTheFullParser() {
        String line = "{\"jsonrpc\":\"2.0\", \"method\" : \"session/update\", \"params\" : {\"n\": 1.50,"
                + " \"u\": {\"sessionUpdate\": \"_vendor/x\", \"s\": \"a\\\"b\\u00e9\uD83D\uDC0E\"}} }";
        var note = RawJson.notification(line);
        assertThat(note.method()).isEqualTo("session/update");
        assertThat(note.raw()).isEqualTo(line);
        assertThat(note.rawParams()).contains("{\"n\": 1.50, \"u\": {\"sessionUpdate\": \"_vendor/x\", \"s\": \"a\\\"b\\u00e9\uD83D\uDC0E\"}}");
        assertThat(note.params().path("u").path("s").asText()).isEqualTo("a\"b\u00e9\uD83D\uDC0E");

        var bare = RawJson.notification("{\"method\":\"x\",\"params\":\"text\"}");
        assertThat(bare.rawParams()).contains("\"text\"");
        var none = RawJson.notification("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}");
        assertThat(none.rawParams()).isEmpty();
        assertThat(none.params().isMissingNode()).isTrue();

        assertThat(RawJson.notification("{\"method\":\"x\",\"id\":1}")).as("request").isNull();
        assertThat(RawJson.notification("{\"id\":1,\"result\":{}}")).as("answer").isNull();
        assertThat(RawJson.notification("{\"method\":7}")).as("method not a string").isNull();
        assertThat(RawJson.notification("{\"params\":{}}")).as("no method").isNull();
        assertThat(RawJson.notification("{\"method\":\"x\"} {}")).as("trailing tokens").isNull();
        assertThat(RawJson.notification("{\"method\":\"x\",\"params\":{\"a\":}}")).as("not JSON").isNull();
        assertThat(RawJson.notification("{\"method\":\"x\",\"params\":{\"a\":\"\\q\"}}")).as("bad escape").isNull();
        assertThat(RawJson.notification("[1]")).isNull();
    }

    @Test
    void withLeadingMemberKeepsTheRestUnchanged() {
        assertThat(RawJson.withLeadingMember(" {\"b\": 1.50}", "requestId", IntNode.valueOf(3)))
                .isEqualTo("{\"requestId\":3,\"b\": 1.50}");
        assertThat(RawJson.withLeadingMember("{ }", "requestId", TextNode.valueOf("r\"1")))
                .isEqualTo("{\"requestId\":\"r\\\"1\" }");
        assertThatThrownBy(() -> RawJson.withLeadingMember("[1]", "a", IntNode.valueOf(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RawJson.member("[1]", "a")).isInstanceOf(IllegalArgumentException.class);
    }
}
