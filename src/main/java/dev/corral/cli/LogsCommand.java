package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = {"Print a session's transcript (a workspace's newest session, or a session id).",
        "With --follow, keep printing new events as they come."})
final class LogsCommand implements Callable<Integer> {
    static final int PAGE = 1000;

    @Parameters(paramLabel = "ID", description = "Workspace id or name, or a session id (ses-…).")
    String id;

    @Option(names = {"-f", "--follow"}, description = "Keep streaming new events.")
    boolean follow;

    @Option(names = "--after", paramLabel = "SEQ", description = "Only events after this sequence number.")
    long after;

    @Option(names = "--agent", paramLabel = "ID", description = "The workspace's session of this agent.")
    String agent;

    @Option(names = "--json", description = "One JSON event per line: {\"seq\",\"at\",\"type\",\"data\"}.")
    boolean json;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() throws Exception {
        ApiClient api = client.client();
        String sid = CliSessions.resolve(api, id, agent, false).path("id").asText();
        var printer = new TranscriptPrinter(System.out, System.out);
        if (follow) {
            try (EventSocket socket = EventSocket.open(api, sid, after)) {
                while (true) {
                    JsonNode frame = socket.next();
                    if (frame == EventSocket.CLOSED) break;
                    if (frame.has("seq")) print(printer, frame);
                }
            }
        } else {
            long seq = after;
            while (true) {
                JsonNode page = api.get("/api/v1/sessions/" + sid + "/events?after=" + seq + "&limit=" + PAGE);
                for (JsonNode e : page) {
                    print(printer, e);
                    seq = e.path("seq").asLong();
                }
                if (page.size() < PAGE) break;
            }
        }
        printer.finish();
        return 0;
    }

    private void print(TranscriptPrinter printer, JsonNode event) {
        if (json) {
            System.out.println(event);
        } else {
            printer.print(event);
        }
    }
}
