package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "prompt", description = {"Send a prompt to a workspace's agent session and stream the reply.",
        "Tool calls and other events go to stderr; permission questions are asked on the terminal (empty answer or",
        "end of input: cancelled). Ctrl-C cancels the turn. Starts a session if the workspace has none."})
final class PromptCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "Workspace id or name, or a session id (ses-…).")
    String id;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "TEXT", description = "The prompt (words are joined by spaces).")
    List<String> text;

    @Option(names = "--agent", paramLabel = "ID", description = "Use (or start) this agent's session.")
    String agent;

    @Option(names = "--yes", description = "Allow every permission request of this turn once, without asking.")
    boolean yes;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() throws Exception {
        ApiClient api = client.client();
        return run(api, CliSessions.resolve(api, id, agent, true), String.join(" ", text), yes);
    }

    /** Sends {@code text} to {@code session} and streams the turn; returns the exit code (1 if the turn failed). */
    static int run(ApiClient api, JsonNode session, String text, boolean yes) throws Exception {
        String sid = session.path("id").asText();
        String deliveryId = "cli-" + UUID.randomUUID();
        var printer = new TranscriptPrinter(System.out, System.err);
        var console = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Thread cancelOnInterrupt = new Thread(() -> {
            try {
                api.post("/api/v1/sessions/" + sid + "/cancel", null);
            } catch (RuntimeException ignored) {
                // exiting anyway
            }
        });
        try (EventSocket socket = EventSocket.open(api, sid, session.path("lastSeq").asLong(0))) {
            ObjectNode prompt = ApiClient.JSON.createObjectNode().put("type", "prompt")
                    .put("text", text).put("deliveryId", deliveryId);
            socket.send(prompt);
            Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
            boolean mine = false;
            while (true) {
                JsonNode frame = socket.next();
                if (frame == EventSocket.CLOSED) throw new CliException("the event stream of " + sid + " closed");
                if ("error".equals(frame.path("reply").asText())) throw new CliException(frame.path("error").asText());
                if (!frame.has("seq")) continue;
                String type = frame.path("type").asText();
                JsonNode data = frame.path("data");
                if (type.equals("user_prompt") && deliveryId.equals(data.path("deliveryId").asText())) mine = true;
                printer.print(frame);
                if (type.equals("permission_request") && mine) socket.send(answer(data, console, yes));
                if (type.equals("turn_end") && deliveryId.equals(data.path("deliveryId").asText())) {
                    printer.finish();
                    return "error".equals(data.path("stopReason").asText()) ? 1 : 0;
                }
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
            } catch (IllegalStateException | IllegalArgumentException ignored) {
                // shutting down, or never added
            }
        }
    }

    private static ObjectNode answer(JsonNode request, BufferedReader console, boolean yes) throws java.io.IOException {
        ObjectNode reply = ApiClient.JSON.createObjectNode().put("type", "permission")
                .put("requestId", request.path("requestId").asText());
        JsonNode options = request.path("options");
        if (yes) {
            for (String kind : List.of("allow_once", "allow_always")) {
                for (JsonNode o : options) {
                    if (kind.equals(o.path("kind").asText())) return reply.put("optionId", o.path("optionId").asText());
                }
            }
        }
        for (int i = 0; i < options.size(); i++) {
            JsonNode o = options.get(i);
            System.err.println("  " + (i + 1) + ") " + o.path("name").asText(o.path("optionId").asText()) + " [" + o.path("kind").asText() + "]");
        }
        System.err.print("  choose 1-" + options.size() + " (empty: cancel): ");
        System.err.flush();
        String line = console.readLine();
        try {
            int n = line == null ? 0 : Integer.parseInt(line.trim());
            if (n >= 1 && n <= options.size()) return reply.put("optionId", options.get(n - 1).path("optionId").asText());
        } catch (NumberFormatException ignored) {
            // cancelled below
        }
        return reply.put("outcome", "cancelled");
    }
}
