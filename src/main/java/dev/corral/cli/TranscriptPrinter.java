package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;

/**
 * Renders session events for people: the agent's text streams to {@code out}; prompts, tool calls, permissions,
 * agent states and errors go to {@code info} as short lines. Not thread-safe.
 */
final class TranscriptPrinter {
    private final PrintStream out;
    private final PrintStream info;
    private boolean midLine;

    TranscriptPrinter(PrintStream out, PrintStream info) {
        this.out = out;
        this.info = info;
    }

    void print(JsonNode event) {
        JsonNode d = event.path("data");
        switch (event.path("type").asText()) {
            case "user_prompt" -> line("> " + d.path("text").asText());
            case "session_update" -> update(d.path("update"));
            case "permission_request" -> line("? permission asked: " + d.path("toolCall").path("title").asText("(tool)")
                    + " [" + d.path("requestId").asText() + "]");
            case "permission_response" -> line("  permission " + ("cancelled".equals(d.path("outcome").asText()) ? "cancelled"
                    : "answered: " + d.path("optionId").asText()) + " (" + d.path("by").asText("user") + ")");
            case "turn_end" -> line("[turn ended: " + d.path("stopReason").asText() + "]");
            case "agent_state" -> line("[agent " + d.path("state").asText() + (d.has("reason") ? ": " + d.path("reason").asText() : "")
                    + "]" + stderr(d));
            case "error" -> line("[error: " + d.path("message").asText() + "]");
            case "terminal_exit" -> line("[terminal " + d.path("terminalId").asText() + ": " + d.path("command").asText()
                    + " ended" + (d.path("exitStatus").path("exitCode").isInt() ? " with code " + d.path("exitStatus").path("exitCode").asInt()
                    : d.path("exitStatus").path("signal").isTextual() ? " by " + d.path("exitStatus").path("signal").asText() : "")
                    + "]\n" + d.path("output").asText().stripTrailing());
            default -> line("[" + event.path("type").asText() + "]");
        }
    }

    private void update(JsonNode u) {
        switch (u.path("sessionUpdate").asText()) {
            case "agent_message_chunk" -> {
                String text = u.path("content").path("text").asText("");
                out.print(text);
                out.flush();
                midLine = !text.endsWith("\n") && !text.isEmpty() || midLine && text.isEmpty();
            }
            case "tool_call" -> line("* " + u.path("title").asText("tool") + " (" + u.path("kind").asText("other") + ")");
            case "tool_call_update" -> {
                String status = u.path("status").asText("");
                if (status.equals("completed") || status.equals("failed")) {
                    line("  " + u.path("title").asText(u.path("toolCallId").asText()) + ": " + status);
                }
            }
            case "plan" -> {
                StringBuilder sb = new StringBuilder("plan:");
                for (JsonNode e : u.path("entries")) sb.append("\n  - [").append(e.path("status").asText()).append("] ")
                        .append(e.path("content").asText());
                line(sb.toString());
            }
            default -> { } // thoughts, usage, commands, unknown kinds: in the transcript, not worth a line here
        }
    }

    private static String stderr(JsonNode d) {
        if (!d.has("stderr") || d.path("stderr").isEmpty()) return "";
        StringBuilder sb = new StringBuilder();
        for (JsonNode l : d.path("stderr")) sb.append("\n  | ").append(l.asText());
        return sb.toString();
    }

    private void line(String s) {
        if (midLine) {
            out.println();
            out.flush();
            midLine = false;
        }
        info.println(s);
        info.flush();
    }

    /** Ends a half-written line of agent text. */
    void finish() {
        if (midLine) {
            out.println();
            out.flush();
            midLine = false;
        }
    }
}
