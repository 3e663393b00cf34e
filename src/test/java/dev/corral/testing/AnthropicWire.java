package dev.corral.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Anthropic Messages ({@code /v1/messages}): {@code message_start}, content blocks with deltas, {@code message_stop}. */
final class AnthropicWire {

    private AnthropicWire() {}

    static void stream(ModelReply reply, String model, int n, Sse sse) {
        ObjectNode start = message(model, n);
        start.putNull("stop_reason");
        sse.event("message_start", Sse.obj().put("type", "message_start").set("message", start));
        sse.event("ping", Sse.obj().put("type", "ping"));
        int index = 0;
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> {
                    sse.event("content_block_start", Sse.obj().put("type", "content_block_start").put("index", index)
                            .set("content_block", Sse.obj().put("type", "text").put("text", "")));
                    for (String c : ModelReply.chunks(t.text())) {
                        sse.event("content_block_delta", Sse.obj().put("type", "content_block_delta").put("index", index)
                                .set("delta", Sse.obj().put("type", "text_delta").put("text", c)));
                    }
                }
                case ModelReply.ToolCall tc -> {
                    ObjectNode block = Sse.obj().put("type", "tool_use").put("id", toolId(n, index)).put("name", tc.name());
                    block.putObject("input");
                    sse.event("content_block_start", Sse.obj().put("type", "content_block_start").put("index", index).set("content_block", block));
                    for (String c : ModelReply.chunks(tc.argumentsJson())) {
                        sse.event("content_block_delta", Sse.obj().put("type", "content_block_delta").put("index", index)
                                .set("delta", Sse.obj().put("type", "input_json_delta").put("partial_json", c)));
                    }
                }
            }
            sse.event("content_block_stop", Sse.obj().put("type", "content_block_stop").put("index", index));
            index++;
        }
        ObjectNode delta = Sse.obj().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason(reply)).putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", 5);
        sse.event("message_delta", delta);
        sse.event("message_stop", Sse.obj().put("type", "message_stop"));
    }

    static ObjectNode whole(ModelReply reply, String model, int n) {
        ObjectNode m = message(model, n);
        ArrayNode content = m.putArray("content");
        int index = 0;
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> content.addObject().put("type", "text").put("text", t.text());
                case ModelReply.ToolCall tc -> content.addObject().put("type", "tool_use").put("id", toolId(n, index))
                        .put("name", tc.name()).set("input", parse(tc.argumentsJson()));
            }
            index++;
        }
        m.put("stop_reason", stopReason(reply));
        return m;
    }

    private static ObjectNode message(String model, int n) {
        ObjectNode m = Sse.obj().put("id", "msg_fake" + n).put("type", "message").put("role", "assistant").put("model", model);
        m.putArray("content");
        m.putNull("stop_sequence");
        m.putObject("usage").put("input_tokens", 10).put("output_tokens", 1)
                .put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", 0);
        return m;
    }

    private static String stopReason(ModelReply reply) {
        return reply.hasToolCalls() ? "tool_use" : "end_turn";
    }

    private static String toolId(int n, int index) {
        return "toolu_fake" + n + "_" + index;
    }

    static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return Sse.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("tool arguments are not JSON: " + json, e);
        }
    }
}
