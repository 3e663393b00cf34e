package dev.corral.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI chat completions ({@code /v1/chat/completions}): {@code chat.completion.chunk} SSE, then {@code [DONE]}. */
final class OpenAiChatWire {

    private OpenAiChatWire() {}

    static void stream(ModelReply reply, String model, int n, boolean includeUsage, Sse sse) {
        String id = "chatcmpl-fake" + n;
        ObjectNode role = Sse.obj().put("role", "assistant").put("content", "");
        sse.data(chunk(id, model, role, null));
        int toolIndex = 0;
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> {
                    for (String c : ModelReply.chunks(t.text())) sse.data(chunk(id, model, Sse.obj().put("content", c), null));
                }
                case ModelReply.ToolCall tc -> {
                    ObjectNode start = Sse.obj();
                    start.putArray("tool_calls").addObject().put("index", toolIndex)
                            .put("id", "call_fake" + n + "_" + toolIndex).put("type", "function")
                            .putObject("function").put("name", tc.name()).put("arguments", "");
                    sse.data(chunk(id, model, start, null));
                    for (String c : ModelReply.chunks(tc.argumentsJson())) {
                        ObjectNode d = Sse.obj();
                        d.putArray("tool_calls").addObject().put("index", toolIndex).putObject("function").put("arguments", c);
                        sse.data(chunk(id, model, d, null));
                    }
                    toolIndex++;
                }
            }
        }
        sse.data(chunk(id, model, Sse.obj(), reply.hasToolCalls() ? "tool_calls" : "stop"));
        if (includeUsage) {
            ObjectNode u = base(id, model);
            u.putArray("choices");
            u.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 5).put("total_tokens", 15);
            sse.data(u);
        }
        sse.data("[DONE]");
    }

    static ObjectNode whole(ModelReply reply, String model, int n) {
        ObjectNode o = Sse.obj().put("id", "chatcmpl-fake" + n).put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", model);
        ObjectNode choice = o.putArray("choices").addObject().put("index", 0);
        ObjectNode msg = choice.putObject("message").put("role", "assistant");
        StringBuilder text = new StringBuilder();
        ArrayNode calls = null;
        int i = 0;
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> text.append(t.text());
                case ModelReply.ToolCall tc -> {
                    if (calls == null) calls = msg.putArray("tool_calls");
                    calls.addObject().put("id", "call_fake" + n + "_" + i++).put("type", "function")
                            .putObject("function").put("name", tc.name()).put("arguments", tc.argumentsJson());
                }
            }
        }
        msg.put("content", text.toString());
        choice.put("finish_reason", reply.hasToolCalls() ? "tool_calls" : "stop");
        o.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 5).put("total_tokens", 15);
        return o;
    }

    private static ObjectNode base(String id, String model) {
        return Sse.obj().put("id", id).put("object", "chat.completion.chunk")
                .put("created", System.currentTimeMillis() / 1000).put("model", model);
    }

    private static ObjectNode chunk(String id, String model, ObjectNode delta, String finish) {
        ObjectNode o = base(id, model);
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        c.set("delta", delta);
        if (finish == null) c.putNull("finish_reason"); else c.put("finish_reason", finish);
        return o;
    }
}
