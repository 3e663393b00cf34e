package dev.corral.agents;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * One agent of the registry, in the ACP Registry {@code agent.json} format, plus Corral's own facts
 * about running it under {@link #corral()}. Unknown fields are ignored so newer registry files still load.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentEntry(
        String id,
        String name,
        String version,
        String description,
        String repository,
        List<String> authors,
        String license,
        Distribution distribution,
        Hints corral) {

    public AgentEntry {
        authors = authors == null ? List.of() : List.copyOf(authors);
        corral = corral == null ? Hints.NONE : corral;
    }

    /** How the agent is obtained. Corral installs {@code npx} entries; the others are parsed and kept. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Distribution(PackageDistribution npx, PackageDistribution uvx, Map<String, BinaryTarget> binary) {}

    /** A package-manager distribution; {@code package} is {@code name@exactVersion}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PackageDistribution(@JsonProperty("package") String packageSpec, List<String> args, Map<String, String> env) {
        public PackageDistribution {
            args = args == null ? List.of() : List.copyOf(args);
            env = env == null ? Map.of() : Map.copyOf(env);
        }
    }

    /** A prebuilt archive for one platform (e.g. {@code linux-x86_64}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record BinaryTarget(String archive, String cmd, List<String> args, Map<String, String> env) {}

    /** Where the agent keeps its configuration: the env var that moves it, and its default under {@code $HOME}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ConfigHome(String env, String dir) {}

    /**
     * Corral's facts about running the agent.
     *
     * @param bin              the executable under {@code node_modules/.bin}; null means the package's only bin
     * @param credentialEnv    env vars that carry the user's credentials, injected only into this agent's sandboxes
     * @param egress           hosts the agent needs in {@code proxy} network mode
     * @param stdoutFilter     whether the agent may print non-JSON lines on stdout that the client must skip
     * @param exitsOnStdinEof  whether closing stdin ends the process (if not, it must be signalled)
     * @param defaultEnv       env always set for this agent (e.g. switching off auto-update)
     * @param baseUrlEnv       env var that points the agent at another model endpoint, if it has one
     * @param minNodeVersion   oldest Node.js major version the package runs on; 0 if it ships its own binary
     * @param proxy            whether the agent sends its traffic through {@code HTTP(S)_PROXY}, so that network mode
     *                         {@code proxy} is the default for its workspaces; {@code false} makes them fall back to
     *                         {@code none} (docs/agents.md). Absent means true.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Hints(
            String bin,
            List<String> credentialEnv,
            List<String> egress,
            int initTimeoutSeconds,
            boolean stdoutFilter,
            boolean exitsOnStdinEof,
            ConfigHome configHome,
            Map<String, String> defaultEnv,
            String baseUrlEnv,
            int minNodeVersion,
            boolean supportsLoad,
            boolean supportsResume,
            Boolean proxy) {

        static final Hints NONE = new Hints(null, null, null, 0, false, true, null, null, null, 0, false, false, null);

        public Hints {
            credentialEnv = credentialEnv == null ? List.of() : List.copyOf(credentialEnv);
            egress = egress == null ? List.of() : List.copyOf(egress);
            defaultEnv = defaultEnv == null ? Map.of() : Map.copyOf(defaultEnv);
            if (initTimeoutSeconds <= 0) initTimeoutSeconds = 60;
        }

        /** Whether the agent honours {@code HTTP(S)_PROXY} (the registry's {@code proxy}, true when absent). */
        public boolean honoursProxy() {
            return proxy == null || proxy;
        }
    }

    /** The npm distribution, or null when the entry has none. */
    public PackageDistribution npx() {
        return distribution == null ? null : distribution.npx();
    }
}
