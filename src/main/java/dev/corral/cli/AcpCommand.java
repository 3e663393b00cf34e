package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "acp", description = {"Be an ACP agent on stdin/stdout for an editor (Zed, JetBrains, Neovim), running the",
        "real agent sandboxed in a Corral workspace. session/new starts a session in the workspace (created from --repo,",
        "or empty, on first use, unless --workspace names one); session/load attaches to a Corral session id."})
final class AcpCommand implements Callable<Integer> {
    @Option(names = "--agent", required = true, paramLabel = "ID", description = "Registry id of the agent to run.")
    String agent;

    @Option(names = "--workspace", paramLabel = "ID", description = "Existing workspace id or name.")
    String workspace;

    @Option(names = "--repo", paramLabel = "URL|PATH", description = "Create a workspace from this repository.")
    String repo;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit for --repo.")
    String ref;

    @Mixin
    ClientOptions client;

    private volatile String created;

    @Override
    public Integer call() throws Exception {
        if (workspace != null && repo != null) throw new CliException("give --workspace or --repo, not both");
        ApiClient api = client.client();
        new AcpBridge(api, agent, () -> workspace != null ? workspace : workspaceFor(api)).run(System.in, System.out);
        return 0;
    }

    private synchronized String workspaceFor(ApiClient api) {
        if (created != null) return created;
        Map<String, Object> body = new LinkedHashMap<>();
        if (repo != null) {
            Path p = Path.of(repo);
            body.put("repo", !repo.contains("://") && Files.isDirectory(p) ? p.toAbsolutePath().normalize().toString() : repo);
        }
        if (ref != null) body.put("ref", ref);
        body.put("agent", agent);
        String id = api.post("/api/v1/workspaces", body).path("id").asText();
        try {
            while (true) {
                JsonNode w = api.get("/api/v1/workspaces/" + id);
                String state = w.path("state").asText();
                if (state.equals("running")) break;
                if (!state.equals("creating")) throw new CliException("workspace " + id + " is " + state + ": " + w.path("stateReason").asText(""));
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        System.err.println("corral: workspace " + id);
        created = id;
        return id;
    }
}
