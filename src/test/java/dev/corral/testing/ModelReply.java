package dev.corral.testing;

import java.util.List;

/** One scripted model response: text and tool calls, in order. Each wire format renders it as it streams. */
public record ModelReply(List<Part> parts) {

    /** A piece of a reply. */
    public sealed interface Part permits Text, ToolCall {}

    /** Assistant text, streamed in a few chunks. */
    public record Text(String text) implements Part {}

    /** A call of the agent's tool {@code name} with JSON object arguments, e.g. {@code {"command":"echo hi"}}. */
    public record ToolCall(String name, String argumentsJson) implements Part {}

    public ModelReply {
        parts = List.copyOf(parts);
    }

    public static ModelReply of(Part... parts) {
        return new ModelReply(List.of(parts));
    }

    public static ModelReply text(String text) {
        return of(new Text(text));
    }

    public boolean hasToolCalls() {
        return parts.stream().anyMatch(p -> p instanceof ToolCall);
    }

    /** Splits text into small pieces so clients see several deltas, as from a real API. */
    static List<String> chunks(String s) {
        if (s.isEmpty()) return List.of("");
        int n = Math.max(1, (s.length() + 2) / 3);
        return java.util.stream.IntStream.range(0, (s.length() + n - 1) / n)
                .mapToObj(i -> s.substring(i * n, Math.min(s.length(), (i + 1) * n))).toList();
    }
}
