package dev.corral.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "keys", description = "Manage agents' API keys (stored encrypted by the daemon; shown masked).",
        subcommands = {KeysCommand.Set.class, KeysCommand.ListKeys.class, KeysCommand.Rm.class, KeysCommand.Rotate.class})
final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "set", description = {"Store an agent's credentials: corral keys set AGENT VAR [VAR=VALUE…].",
            "A VAR without =VALUE is read from standard input (one line each, not echoed when typed), so keys stay out of shell history."})
    static final class Set implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "AGENT")
        String agent;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VAR[=VALUE]")
        List<String> vars;

        @Mixin
        ClientOptions client;

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = new LinkedHashMap<>();
            var console = System.console();
            var stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String v : vars) {
                int eq = v.indexOf('=');
                if (eq > 0) {
                    env.put(v.substring(0, eq), v.substring(eq + 1));
                    continue;
                }
                String value;
                if (console != null) {
                    char[] typed = console.readPassword("%s for %s: ", v, agent);
                    value = typed == null ? null : new String(typed);
                } else {
                    value = stdin.readLine();
                }
                if (value == null || value.isBlank()) throw new CliException("no value given for " + v);
                env.put(v, value.trim());
            }
            JsonNode r = client.client().send("PUT", "/api/v1/credentials/" + agent, Map.of("env", env));
            r.path("env").fields().forEachRemaining(e -> System.out.println(agent + " " + e.getKey() + "=" + e.getValue().asText()));
            return 0;
        }
    }

    @Command(name = "list", description = "List stored credentials (masked).")
    static final class ListKeys implements Callable<Integer> {
        @picocli.CommandLine.Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Mixin
        ClientOptions client;

        @Override
        public Integer call() throws Exception {
            JsonNode list = client.client().get("/api/v1/credentials");
            if (json) {
                System.out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(list));
                return 0;
            }
            for (JsonNode c : list) {
                c.path("env").fields().forEachRemaining(e ->
                        System.out.println(c.path("agentId").asText() + " " + e.getKey() + "=" + e.getValue().asText()));
            }
            return 0;
        }
    }

    @Command(name = "rm", description = "Delete an agent's credentials; names the running workspaces that use that agent.")
    static final class Rm implements Callable<Integer> {
        @Parameters(paramLabel = "AGENT")
        String agent;

        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            JsonNode r = client.client().delete("/api/v1/credentials/" + agent);
            System.out.println(r.path("deleted").asBoolean() ? agent + " credentials deleted" : "no credentials stored for " + agent);
            for (JsonNode w : r.path("runningWorkspaces")) {
                System.out.println("still running with " + agent + ": " + w.path("name").asText() + " (" + w.path("id").asText() + ")");
            }
            return 0;
        }
    }

    @Command(name = "rotate", description = "Generate a new master key and re-encrypt every stored credential with it.")
    static final class Rotate implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            JsonNode r = client.client().post("/api/v1/credentials/rotate", Map.of());
            System.out.println("re-encrypted " + r.path("reencrypted").asInt() + " credential records under a new master key");
            return 0;
        }
    }
}
