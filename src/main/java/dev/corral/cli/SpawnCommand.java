package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "spawn", description = {"Create a workspace and wait until its sandbox runs; prints the workspace id.",
        "With --repo the repository is cloned (progress on stderr); with --path a host directory is mounted as it is;",
        "with neither the workspace starts empty."})
final class SpawnCommand implements Callable<Integer> {
    @Option(names = "--repo", paramLabel = "URL|PATH", description = "Git URL or local repository path to clone.")
    String repo;

    @Option(names = "--path", paramLabel = "DIR", description = "Existing host directory to mount at /workspace as it is.")
    String path;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit to check out.")
    String ref;

    @Option(names = "--agent", paramLabel = "ID", description = "Agent this workspace is for (recorded on the workspace); its network is then the egress "
            + "proxy allowing that agent's registry hosts (docs/agents.md).")
    String agent;

    @Option(names = "--name", paramLabel = "N", description = "Workspace name (unique; default derived from the repo).")
    String name;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Then start the --agent in it and send this prompt, "
            + "streaming the reply as `corral prompt` does.")
    String prompt;

    @Option(names = "--json", description = "Print the workspace record as JSON instead of its id.")
    boolean json;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() throws Exception {
        ApiClient api = client.client();
        Map<String, Object> body = new LinkedHashMap<>();
        if (repo != null) body.put("repo", absoluteIfLocal(repo));
        if (path != null) body.put("path", Path.of(path).toAbsolutePath().normalize().toString());
        if (ref != null) body.put("ref", ref);
        if (agent != null) body.put("agent", agent);
        if (name != null) body.put("name", name);
        JsonNode w = api.post("/api/v1/workspaces", body);
        String id = w.path("id").asText();
        w = awaitStarted(api, id);
        if (!"running".equals(w.path("state").asText())) {
            throw new CliException("workspace " + id + " is " + w.path("state").asText() + ": " + w.path("stateReason").asText(""));
        }
        System.out.println(json ? ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(w) : id);
        if (prompt != null) {
            System.out.flush();
            return PromptCommand.run(api, CliSessions.resolve(api, id, agent, true), prompt, false);
        }
        return 0;
    }

    private static JsonNode awaitStarted(ApiClient api, String id) throws InterruptedException {
        ProgressBar bar = null;
        try {
            while (true) {
                JsonNode w = api.get("/api/v1/workspaces/" + id);
                if (!"creating".equals(w.path("state").asText())) return w;
                JsonNode p = w.path("progress");
                if (!p.isMissingNode() && !p.isNull()) {
                    if (bar == null) {
                        bar = new ProgressBarBuilder().setTaskName("clone").setInitialMax(100)
                                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
                    }
                    bar.setExtraMessage(p.path("phase").asText());
                    bar.stepTo(p.path("percent").asInt());
                }
                Thread.sleep(150);
            }
        } finally {
            if (bar != null) {
                bar.stepTo(100);
                bar.close();
            }
        }
    }

    private static String absoluteIfLocal(String repo) {
        Path p = Path.of(repo);
        if (!repo.contains("://") && !repo.matches("^[^/]+@[^/]+:.*") && Files.isDirectory(p)) {
            return p.toAbsolutePath().normalize().toString();
        }
        return repo;
    }
}
