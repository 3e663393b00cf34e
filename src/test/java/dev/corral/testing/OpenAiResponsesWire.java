package dev.corral.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI Responses ({@code /v1/responses}): typed SSE events from {@code response.created} to {@code response.completed}. */
final class OpenAiResponsesWire {

    private OpenAiResponsesWire() {}

    static void stream(ModelReply reply, String model, int n, Sse sse) {
        int[] seq = {0};
        String id = "resp_fake" + n;
        sse.event("response.created", ev("response.created", seq).set("response", response(id, model, "in_progress", Sse.JSON.createArrayNode())));
        sse.event("response.in_progress", ev("response.in_progress", seq).set("response", response(id, model, "in_progress", Sse.JSON.createArrayNode())));
        ArrayNode output = Sse.JSON.createArrayNode();
        int index = 0;
        for (ModelReply.Part part : reply.parts()) {
            switch (part) {
                case ModelReply.Text t -> {
                    String itemId = "msg_fake" + n + "_" + index;
                    ObjectNode item = Sse.obj().put("id", itemId).put("type", "message").put("status", "in_progress").put("role", "assistant");
                    item.putArray("content");
                    sse.event("response.output_item.added", ev("response.output_item.added", seq).put("output_index", index).set("item", item.deepCopy()));
                    ObjectNode emptyPart = Sse.obj().put("type", "output_text").put("text", "");
                    emptyPart.putArray("annotations");
                    sse.event("response.content_part.added", ev("response.content_part.added", seq).put("item_id", itemId)
                            .put("output_index", index).put("content_index", 0).set("part", emptyPart));
                    for (String c : ModelReply.chunks(t.text())) {
                        sse.event("response.output_text.delta", ev("response.output_text.delta", seq).put("item_id", itemId)
                                .put("output_index", index).put("content_index", 0).put("delta", c));
                    }
                    sse.event("response.output_text.done", ev("response.output_text.done", seq).put("item_id", itemId)
                            .put("output_index", index).put("content_index", 0).put("text", t.text()));
                    ObjectNode donePart = Sse.obj().put("type", "output_text").put("text", t.text());
                    donePart.putArray("annotations");
                    sse.event("response.content_part.done", ev("response.content_part.done", seq).put("item_id", itemId)
                            .put("output_index", index).put("content_index", 0).set("part", donePart.deepCopy()));
                    item.put("status", "completed");
                    item.withArray("content").add(donePart);
                    sse.event("response.output_item.done", ev("response.output_item.done", seq).put("output_index", index).set("item", item));
                    output.add(item);
                }
                case ModelReply.ToolCall tc -> {
                    String itemId = "fc_fake" + n + "_" + index;
                    ObjectNode item = Sse.obj().put("id", itemId).put("type", "function_call").put("status", "in_progress")
                            .put("call_id", "call_fake" + n + "_" + index).put("name", tc.name()).put("arguments", "");
                    sse.event("response.output_item.added", ev("response.output_item.added", seq).put("output_index", index).set("item", item.deepCopy()));
                    for (String c : ModelReply.chunks(tc.argumentsJson())) {
                        sse.event("response.function_call_arguments.delta", ev("response.function_call_arguments.delta", seq)
                                .put("item_id", itemId).put("output_index", index).put("delta", c));
                    }
                    sse.event("response.function_call_arguments.done", ev("response.function_call_arguments.done", seq)
                            .put("item_id", itemId).put("output_index", index).put("arguments", tc.argumentsJson()));
                    item.put("status", "completed").put("arguments", tc.argumentsJson());
                    sse.event("response.output_item.done", ev("response.output_item.done", seq).put("output_index", index).set("item", item));
                    output.add(item);
                }
            }
            index++;
        }
        sse.event("response.completed", ev("response.completed", seq).set("response", response(id, model, "completed", output)));
    }

    private static ObjectNode ev(String type, int[] seq) {
        return Sse.obj().put("type", type).put("sequence_number", seq[0]++);
    }

    private static ObjectNode response(String id, String model, String status, ArrayNode output) {
        ObjectNode r = Sse.obj().put("id", id).put("object", "response").put("created_at", System.currentTimeMillis() / 1000)
                .put("status", status).put("model", model);
        r.set("output", output);
        r.putNull("error");
        r.putNull("incomplete_details");
        if ("completed".equals(status)) {
            ObjectNode u = r.putObject("usage").put("input_tokens", 10).put("output_tokens", 5).put("total_tokens", 15);
            u.putObject("input_tokens_details").put("cached_tokens", 0);
            u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        } else {
            r.putNull("usage");
        }
        return r;
    }
}
