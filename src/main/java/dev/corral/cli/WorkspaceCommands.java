package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code list}, {@code stop}, {@code resume}, {@code rm}. */
final class WorkspaceCommands {
    private WorkspaceCommands() {}

    @Command(name = "list", description = "List workspaces.")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--json", description = "Print the records as a JSON array (stable, machine-readable).")
        boolean json;

        @Mixin
        ClientOptions client;

        @Override
        public Integer call() throws Exception {
            JsonNode list = client.client().get("/api/v1/workspaces");
            if (json) {
                System.out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(list));
                return 0;
            }
            System.out.printf("%-16s %-28s %-9s %-10s %s%n", "ID", "NAME", "STATE", "AGENT", "SOURCE");
            for (JsonNode w : list) {
                String source = w.path("repo").asText(w.path("path").asText(w.path("source").asText()));
                System.out.printf("%-16s %-28s %-9s %-10s %s%n", w.path("id").asText(), w.path("name").asText(),
                        w.path("state").asText(), w.path("agent").asText("-"), source);
            }
            return 0;
        }
    }

    /** A command that posts one action on a workspace and prints its id and new state. */
    private abstract static class WorkspaceAction implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "Workspace id or name.")
        String id;

        @Mixin
        ClientOptions client;

        abstract String action();

        @Override
        public Integer call() {
            JsonNode w = client.client().post("/api/v1/workspaces/" + id + "/" + action(), null);
            System.out.println(w.path("id").asText() + " " + w.path("state").asText());
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop a workspace's sandbox (its files and home are kept).")
    static final class StopCommand extends WorkspaceAction {
        @Override
        String action() {
            return "stop";
        }
    }

    @Command(name = "resume", description = "Start a stopped workspace's sandbox again.")
    static final class ResumeCommand extends WorkspaceAction {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "rm", description = "Delete a workspace: its sandbox, clone and home (a mounted --path directory is kept).")
    static final class RmCommand implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "Workspace id or name.")
        String id;

        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            client.client().delete("/api/v1/workspaces/" + id);
            System.out.println(id + " deleted");
            return 0;
        }
    }
}
