package dev.corral.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Gemini ({@code /v1beta/models/M:streamGenerateContent?alt=sse}): each SSE event is a whole
 * {@code GenerateContentResponse} with some parts; function calls arrive whole, the last event has {@code finishReason}.
 */
final class GeminiWire {

    private GeminiWire() {}

    static void stream(ModelReply reply, String model, Sse sse) {
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> {
                    for (String c : ModelReply.chunks(t.text())) {
                        ObjectNode r = Sse.obj();
                        ArrayNode parts = candidate(r);
                        parts.addObject().put("text", c);
                        finish(r, model, false);
                        sse.data(r);
                    }
                }
                case ModelReply.ToolCall tc -> {
                    ObjectNode r = Sse.obj();
                    candidate(r).addObject().putObject("functionCall").put("name", tc.name()).set("args", AnthropicWire.parse(tc.argumentsJson()));
                    finish(r, model, false);
                    sse.data(r);
                }
            }
        }
        ObjectNode last = Sse.obj();
        candidate(last).addObject().put("text", "");
        finish(last, model, true);
        sse.data(last);
    }

    static ObjectNode whole(ModelReply reply, String model) {
        ObjectNode r = Sse.obj();
        ArrayNode parts = candidate(r);
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> parts.addObject().put("text", t.text());
                case ModelReply.ToolCall tc -> parts.addObject().putObject("functionCall").put("name", tc.name())
                        .set("args", AnthropicWire.parse(tc.argumentsJson()));
            }
        }
        finish(r, model, true);
        return r;
    }

    private static ArrayNode candidate(ObjectNode response) {
        ObjectNode c = response.putArray("candidates").addObject().put("index", 0);
        ObjectNode content = c.putObject("content").put("role", "model");
        return content.putArray("parts");
    }

    private static void finish(ObjectNode response, String model, boolean last) {
        if (last) ((ObjectNode) response.withArray("candidates").get(0)).put("finishReason", "STOP");
        response.putObject("usageMetadata").put("promptTokenCount", 10).put("candidatesTokenCount", 5).put("totalTokenCount", 15);
        response.put("modelVersion", model);
    }
}
